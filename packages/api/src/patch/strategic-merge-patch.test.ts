// The cases Kubernetes documents for strategic merge patch ("Update API
// Objects in Place Using kubectl patch", and the strategicpatch package's
// own test tables), applied to Skiff's real schemas, one row each.
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { MANIFEST_SCHEMAS } from '../schema/index.js';
import type { JsonSchema } from '../schema/json-schema.js';
import { strategicMergePatch } from './strategic-merge-patch.js';

const pod = MANIFEST_SCHEMAS.Pod;
const deployment = MANIFEST_SCHEMAS.Deployment;
// Skiff has no primitive list with patchStrategy merge (Kubernetes' is metadata.finalizers), so one is made up.
const withFinalizers: JsonSchema = {
  type: 'object',
  properties: { finalizers: { type: 'array', items: { type: 'string' }, 'x-kubernetes-patch-strategy': 'merge' } },
};

interface Case {
  readonly name: string;
  readonly schema: JsonSchema | undefined;
  readonly original: unknown;
  readonly patch: unknown;
  readonly expected: unknown;
}

const c = (name: string, image: string): { name: string; image: string } => ({ name, image });
const podWith = (spec: unknown): unknown => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });

const CASES: readonly Case[] = [
  {
    name: 'maps merge key by key; null deletes a key',
    schema: pod,
    original: { metadata: { name: 'p', labels: { app: 'web', tier: 'front' } } },
    patch: { metadata: { labels: { tier: null, track: 'stable' } } },
    expected: { metadata: { name: 'p', labels: { app: 'web', track: 'stable' } } },
  },
  {
    // A new item follows the patch's order; an original-only item goes before a patch item only if it was before it.
    name: 'containers merge by name: a known one merged, a new one added after it',
    schema: pod,
    original: podWith({ containers: [c('a', 'nginx:1'), c('b', 'redis')] }),
    patch: { spec: { containers: [{ name: 'a', image: 'nginx:2' }, { name: 'z', image: 'busybox' }] } },
    expected: podWith({ containers: [c('a', 'nginx:2'), c('z', 'busybox'), c('b', 'redis')] }),
  },
  {
    name: "without $setElementOrder the patch's own order wins",
    schema: pod,
    original: podWith({ containers: [c('a', '1'), c('b', '2')] }),
    patch: { spec: { containers: [{ name: 'b' }, { name: 'a' }] } },
    expected: podWith({ containers: [c('b', '2'), c('a', '1')] }),
  },
  {
    name: 'ports merge by containerPort, env by name, volumeMounts by mountPath',
    schema: pod,
    original: podWith({
      containers: [
        {
          name: 'a',
          image: 'x',
          ports: [{ containerPort: 80, name: 'http' }],
          env: [{ name: 'A', value: '1' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    }),
    patch: {
      spec: {
        containers: [
          {
            name: 'a',
            ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
            env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
      },
    },
    expected: podWith({
      containers: [
        {
          name: 'a',
          image: 'x',
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }],
          env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }],
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
        },
      ],
    }),
  },
  {
    name: '$patch: delete in a merged list removes the item with that key',
    schema: pod,
    original: podWith({ containers: [c('a', 'x'), c('b', 'y')] }),
    patch: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
    expected: podWith({ containers: [c('b', 'y')] }),
  },
  {
    name: '{$patch: replace} in a merged list replaces the whole list',
    schema: pod,
    original: podWith({ containers: [c('a', 'x'), c('b', 'y')] }),
    patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'c', image: 'z' }] } },
    expected: podWith({ containers: [c('c', 'z')] }),
  },
  {
    name: 'an item with $patch: replace, even beside a merge key, replaces the whole list',
    schema: pod,
    original: podWith({ containers: [{ name: 'a', image: 'x', workingDir: '/w' }, c('b', 'y')] }),
    patch: { spec: { containers: [{ name: 'a', $patch: 'replace' }, { name: 'c', image: 'z' }] } },
    expected: podWith({ containers: [c('c', 'z')] }),
  },
  {
    name: '$patch: replace in a map replaces the map',
    schema: pod,
    original: { metadata: { name: 'p', labels: { app: 'web', tier: 'front' } } },
    patch: { metadata: { labels: { $patch: 'replace', only: 'this' } } },
    expected: { metadata: { name: 'p', labels: { only: 'this' } } },
  },
  {
    name: '$patch: delete in a map empties the map',
    schema: pod,
    original: { metadata: { name: 'p', labels: { app: 'web' } } },
    patch: { metadata: { labels: { $patch: 'delete' } } },
    expected: { metadata: { name: 'p', labels: {} } },
  },
  {
    name: '$patch: merge is the default',
    schema: pod,
    original: { metadata: { name: 'p', labels: { app: 'web' } } },
    patch: { metadata: { labels: { $patch: 'merge', tier: 'front' } } },
    expected: { metadata: { name: 'p', labels: { app: 'web', tier: 'front' } } },
  },
  {
    name: 'lists without a patch strategy are replaced (tolerations, command, args)',
    schema: pod,
    original: podWith({
      containers: [{ name: 'a', image: 'x', args: ['1', '2'] }],
      tolerations: [{ key: 'k1', operator: 'Exists' }],
    }),
    patch: { spec: { containers: [{ name: 'a', args: ['3'] }], tolerations: [{ key: 'k2', operator: 'Exists' }] } },
    expected: podWith({ containers: [{ name: 'a', image: 'x', args: ['3'] }], tolerations: [{ key: 'k2', operator: 'Exists' }] }),
  },
  {
    name: 'lists in free-form places (status) and kinds without schema are replaced, maps merged',
    schema: undefined,
    original: { status: { conditions: [{ type: 'A' }], phase: 'Running' } },
    patch: { status: { conditions: [{ type: 'B' }] } },
    expected: { status: { conditions: [{ type: 'B' }], phase: 'Running' } },
  },
  {
    name: 'primitive lists with strategy merge take the union, in order',
    schema: withFinalizers,
    original: { finalizers: ['a', 'b'] },
    patch: { finalizers: ['c', 'a'] },
    expected: { finalizers: ['c', 'a', 'b'] },
  },
  {
    name: '$deleteFromPrimitiveList removes values from a merged primitive list',
    schema: withFinalizers,
    original: { finalizers: ['a', 'b', 'c'] },
    patch: { '$setElementOrder/finalizers': ['a', 'c', 'd'], '$deleteFromPrimitiveList/finalizers': ['b'], finalizers: ['d'] },
    expected: { finalizers: ['a', 'c', 'd'] },
  },
  {
    // The design note's example ("Preserve Order in Strategic Merge Patch") shows e, d, a, b, f; the implementation gives this.
    name: 'server-added finalizers keep their place relative to the ordered ones',
    schema: withFinalizers,
    original: { finalizers: ['b', 'e', 'a', 'c', 'd'] },
    patch: { '$setElementOrder/finalizers': ['a', 'b', 'f'], '$deleteFromPrimitiveList/finalizers': ['c'], finalizers: ['f'] },
    expected: { finalizers: ['e', 'a', 'b', 'f', 'd'] },
  },
  {
    name: '$setElementOrder orders a primitive list',
    schema: withFinalizers,
    original: { finalizers: ['a', 'b'] },
    patch: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] },
    expected: { finalizers: ['c', 'b', 'a'] },
  },
  {
    name: '$setElementOrder orders a merged list of maps by its merge key',
    schema: pod,
    original: podWith({ containers: [c('a', 'x'), c('b', 'y')] }),
    patch: {
      spec: {
        '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }],
        containers: [{ name: 'c', image: 'z' }],
      },
    },
    expected: podWith({ containers: [c('c', 'z'), c('b', 'y'), c('a', 'x')] }),
  },
  {
    name: "$setElementOrder keeps the original's unnamed items where they were",
    schema: pod,
    original: podWith({ containers: [c('a', '1'), c('b', '2'), c('c', '3'), c('d', '4')] }),
    patch: {
      spec: {
        '$setElementOrder/containers': [{ name: 'd' }, { name: 'b' }],
        containers: [{ name: 'd', image: '44' }],
      },
    },
    // a was first in the original: it stays before both; c came after b and before d.
    expected: podWith({ containers: [c('a', '1'), c('c', '3'), c('d', '44'), c('b', '2')] }),
  },
  {
    name: "kubectl's env patch: one deleted, one added, server-added ones kept in place",
    schema: pod,
    original: podWith({
      containers: [{ name: 'a', image: 'x', env: ['ENV2', 'ENV5', 'ENV1', 'ENV3', 'ENV4'].map((name) => ({ name, value: name })) }],
    }),
    patch: {
      spec: {
        containers: [
          {
            name: 'a',
            '$setElementOrder/env': [{ name: 'ENV1' }, { name: 'ENV2' }, { name: 'ENV6' }],
            env: [{ name: 'ENV3', $patch: 'delete' }, { name: 'ENV6', value: 'new' }],
          },
        ],
      },
    },
    expected: podWith({
      containers: [
        {
          name: 'a',
          image: 'x',
          env: [
            { name: 'ENV5', value: 'ENV5' },
            { name: 'ENV1', value: 'ENV1' },
            { name: 'ENV2', value: 'ENV2' },
            { name: 'ENV6', value: 'new' },
            { name: 'ENV4', value: 'ENV4' },
          ],
        },
      ],
    }),
  },
  {
    name: '$retainKeys clears the fields it does not list (Deployment strategy to Recreate)',
    schema: deployment,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }, replicas: 2 } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    expected: { spec: { strategy: { type: 'Recreate' }, replicas: 2 } },
  },
  {
    name: '$retainKeys in a merged list item (a volume switched from emptyDir to configMap)',
    schema: pod,
    original: podWith({ containers: [c('a', 'x')], volumes: [{ name: 'v', emptyDir: {} }] }),
    patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } },
    expected: podWith({ containers: [c('a', 'x')], volumes: [{ name: 'v', configMap: { name: 'cm' } }] }),
  },
  {
    name: 'nested maps merge deeply (resources.limits)',
    schema: pod,
    original: podWith({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }),
    patch: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '2' }, requests: { cpu: '1' } } }] } },
    expected: podWith({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '1' } } }] }),
  },
  {
    name: 'directives in a field the original lacks are applied, not stored',
    schema: pod,
    original: { metadata: { name: 'p' } },
    patch: {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }],
        containers: [{ name: 'a', image: 'x', '$setElementOrder/env': [{ name: 'E' }], env: [{ name: 'E', value: '1' }], args: null }],
      },
    },
    expected: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'E', value: '1' }] }] } },
  },
  {
    name: 'a value of another type replaces (a map becomes a string)',
    schema: undefined,
    original: { a: { b: 1 } },
    patch: { a: 'x' },
    expected: { a: 'x' },
  },
  {
    name: 'Service ports merge by port, ServiceAccount secrets by name',
    schema: MANIFEST_SCHEMAS.Service,
    original: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
    patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    expected: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
  },
  {
    // Without $setElementOrder an item new to the list comes before the original's others, as in Kubernetes.
    name: 'ownerReferences merge by uid',
    schema: MANIFEST_SCHEMAS.ConfigMap,
    original: { metadata: { name: 'c', ownerReferences: [{ uid: '1', name: 'a' }] } },
    patch: { metadata: { ownerReferences: [{ uid: '2', name: 'b' }] } },
    expected: { metadata: { name: 'c', ownerReferences: [{ uid: '2', name: 'b' }, { uid: '1', name: 'a' }] } },
  },
  {
    name: 'a whole-document $patch: delete leaves an empty object',
    schema: pod,
    original: { metadata: { name: 'p' } },
    patch: { $patch: 'delete' },
    expected: {},
  },
];

describe('strategicMergePatch', () => {
  it.each(CASES)('$name', ({ schema, original, patch, expected }) => {
    const before = structuredClone(original);
    expect(strategicMergePatch(original, patch, schema)).toEqual(expected);
    expect(original).toEqual(before);
  });

  const REFUSED: readonly { name: string; patch: unknown; message: RegExp }[] = [
    { name: 'a patch that is not a map', patch: [1], message: /must be a JSON object/ },
    { name: 'an unknown $patch', patch: { metadata: { $patch: 'explode' } }, message: /metadata: unknown \$patch directive "explode"/ },
    {
      name: 'a merged-list item without its merge key',
      patch: { spec: { containers: [{ image: 'x' }] } },
      message: /spec\.containers\[0\]: has no name, the key this list is merged by; add name/,
    },
    {
      name: 'a field set but missing from $retainKeys',
      patch: { spec: { $retainKeys: ['containers'], hostname: 'h' } },
      message: /spec\.hostname: is set by the patch but not listed in its \$retainKeys/,
    },
    { name: 'a $retainKeys that is not a list', patch: { spec: { $retainKeys: 'x' } }, message: /spec: \$retainKeys must be a list/ },
    { name: 'a $setElementOrder that is not a list', patch: { spec: { '$setElementOrder/containers': 'x' } }, message: /must be a list/ },
    {
      name: 'a patch list out of $setElementOrder order',
      patch: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [c('a', 'x'), c('b', 'y')] } },
      message: /spec\.containers: the patch's items are not all in \$setElementOrder\/containers, or not in its order/,
    },
    {
      name: '$patch: merge on a list item',
      patch: { spec: { containers: [{ name: 'a', $patch: 'merge' }] } },
      message: /spec\.containers\[0\]: \$patch "merge" is not allowed on a list item/,
    },
  ];
  it.each(REFUSED)('refuses $name with an InvalidError naming the field', ({ patch, message }) => {
    const apply = (): unknown => strategicMergePatch(podWith({ containers: [c('a', 'x')] }), patch, pod);
    expect(apply).toThrow(InvalidError);
    expect(apply).toThrow(message);
  });
});
