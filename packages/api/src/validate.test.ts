import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatFieldPath } from './field-path.js';
import type { Service } from './service-types.js';
import type { ConfigMap, Pod, Secret } from './types.js';
import type { Deployment } from './workload-types.js';
import { formatIssue, MAX_OBJECT_BYTES, validateManifest, type ValidationResult } from './validate.js';

import * as fixtures from '../../../test/fixtures/invalid-manifests.js';

function yaml(text: string): unknown {
  return parse(text) as unknown;
}

function paths(result: ValidationResult): string[] {
  return result.errors.map((e) => e.path);
}

const deploymentYaml = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
`;

describe('the shared table of invalid manifests', () => {
  it('has at least 30 cases with unique names', () => {
    expect(fixtures.INVALID_MANIFESTS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(fixtures.INVALID_MANIFESTS.map((c) => c.name)).size).toBe(fixtures.INVALID_MANIFESTS.length);
  });

  it.each(fixtures.INVALID_MANIFESTS.map((c) => [c.name, c] as const))('rejects %s', (_name, c) => {
    const input = yaml(c.yaml);
    const result = validateManifest(input);
    expect(result.object).toBeUndefined();
    expect(paths(result), result.errors.map(formatIssue).join('\n')).toContain(c.path);
    for (const issue of result.errors) expect(issue.message.length).toBeGreaterThan(0);
  });
});

describe('the shared valid manifests', () => {
  it('cover every kind a user may apply', () => {
    expect(fixtures.VALID_MANIFESTS.map((c) => c.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace', 'Pod', 'Secret', 'Service'].sort(),
    );
  });

  it.each(fixtures.VALID_MANIFESTS.map((c) => [c.name, c] as const))('accepts %s', (_name, c) => {
    const result = validateManifest(yaml(c.yaml));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.object?.kind).toBe(c.kind);
    expect(result.kind?.kind).toBe(c.kind);
  });

  it('applies the defaults Kubernetes would', () => {
    const byKind = new Map(fixtures.VALID_MANIFESTS.map((c) => [c.kind, validateManifest(yaml(c.yaml)).object]));
    const pod = byKind.get('Pod') as Pod;
    expect(pod.spec.restartPolicy).toBe('Always');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
    expect(pod.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    const policy = (image: string): string | undefined =>
      (validateManifest(yaml(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "${image}"}]\n`)).object as Pod | undefined)
        ?.spec.containers[0]?.imagePullPolicy;
    expect(['busybox', 'busybox:latest', 'localhost:5000/app', 'localhost:5000/app:latest'].map(policy)).toEqual(['Always', 'Always', 'Always', 'Always']);
    expect(['busybox:1.36', 'localhost:5000/app:v2', `busybox@sha256:${'a'.repeat(64)}`].map(policy)).toEqual(['IfNotPresent', 'IfNotPresent', 'IfNotPresent']);
    expect(pod.spec.containers[0]?.ports?.[0]?.protocol).toBe('TCP');
    expect(pod.spec.containers[0]?.resources?.limits?.cpu).toBe('0.5');
    expect(pod.spec.containers[0]?.readinessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });

    const deployment = byKind.get('Deployment') as Deployment;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.revisionHistoryLimit).toBe(10);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(deployment.spec.template.spec.restartPolicy).toBe('Always');

    const service = byKind.get('Service') as Service;
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports[0]).toEqual({ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' });

    const secret = byKind.get('Secret') as Secret;
    expect(secret.type).toBe('Opaque');
    expect(secret.stringData).toBeUndefined();
    expect(secret.data).toEqual({ username: 'YWRtaW4=', password: Buffer.from('s3cret').toString('base64') });

    const configMap = byKind.get('ConfigMap') as ConfigMap;
    expect(configMap.data?.['LOG_LEVEL']).toBe('info');
  });
});

describe('validateManifest', () => {
  it('returns a defaulted deep copy and leaves the input untouched', () => {
    const input = yaml(deploymentYaml);
    const before = structuredClone(input);
    const result = validateManifest(input);
    expect(result.errors).toEqual([]);
    expect(input).toEqual(before);
    const object = result.object as Deployment;
    expect(object).not.toBe(input);
    expect(object.spec.replicas).toBe(1);
    expect(object.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(object.spec.template.spec.containers[0]?.ports?.[0]).toEqual({ containerPort: 80, protocol: 'TCP' });
    expect(object.metadata.namespace).toBe('shop');
  });

  it('leaves an invalid input untouched too, and returns no object', () => {
    const input = yaml(deploymentYaml.replace('containerPort: 80', 'containerPort: 80\n          bogus: 1').replace('nginx:1.27', '""'));
    const before = structuredClone(input);
    const result = validateManifest(input);
    expect(result.object).toBeUndefined();
    expect(input).toEqual(before);
  });

  it('reports unknown fields as warnings by path and prunes them', () => {
    const input = yaml(
      deploymentYaml
        .replace('image: nginx:1.27', 'image: nginx:1.27\n        foo: bar')
        .replace('namespace: shop', 'namespace: shop\n  colour: blue') + 'flavour: mint\n',
    );
    const result = validateManifest(input);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        { path: 'metadata.colour', message: 'unknown field "colour"' },
        { path: 'spec.template.spec.containers[0].foo', message: 'unknown field "foo"' },
        { path: 'flavour', message: 'unknown field "flavour"' },
      ]),
    );
    expect(result.warnings).toHaveLength(3);
    const object = result.object as Deployment & { flavour?: unknown };
    expect(object.flavour).toBeUndefined();
    expect((object.metadata as unknown as Record<string, unknown>)['colour']).toBeUndefined();
    expect(object.spec.template.spec.containers[0]).not.toHaveProperty('foo');
    expect(JSON.stringify(input)).toContain('"foo":"bar"');
  });

  it('makes unknown fields errors under strict', () => {
    const input = yaml(deploymentYaml.replace('image: nginx:1.27', 'image: nginx:1.27\n        foo: bar'));
    const result = validateManifest(input, { strict: true });
    expect(result.object).toBeUndefined();
    expect(result.warnings).toEqual([]);
    expect(result.errors).toEqual([{ path: 'spec.template.spec.containers[0].foo', message: 'unknown field "foo"' }]);
  });

  it('accepts the server-owned metadata and status that `get -o yaml` prints', () => {
    const result = validateManifest({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'settings',
        namespace: 'default',
        uid: '3f1c0f4e-0000-4000-8000-000000000000',
        resourceVersion: '42',
        generation: 1,
        creationTimestamp: '2026-01-01T00:00:00Z',
        deletionTimestamp: '2026-01-02T00:00:00Z',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'abc', controller: true }],
      },
      data: { a: 'b' },
      status: { anything: ['goes', 1] },
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.object?.status).toEqual({ anything: ['goes', 1] });
  });

  it('drops metadata.namespace from cluster-scoped kinds', () => {
    const result = validateManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', namespace: 'Not Valid' } });
    expect(result.errors).toEqual([]);
    expect(result.object?.metadata).toEqual({ name: 'team-a' });
  });

  it('treats null fields as absent, as Kubernetes does', () => {
    const result = validateManifest(yaml('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\ndata:\n'));
    expect(result.errors).toEqual([]);
    expect(result.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
  });

  it.each<[unknown, string]>([
    [null, ''],
    [[], ''],
    ['Pod', ''],
    [42, ''],
  ])('rejects the non-mapping %j as a whole', (input, path) => {
    expect(validateManifest(input).errors).toEqual([
      { path, message: 'must be a mapping (an object with apiVersion, kind and metadata)' },
    ]);
  });

  it('words kind and apiVersion problems as the brief does', () => {
    expect(validateManifest({ apiVersion: 'v1', kind: 'Foo', metadata: { name: 'x' } }).errors).toEqual([
      {
        path: 'kind',
        message:
          'unknown kind "Foo"; Skiff accepts Namespace, Pod, Deployment, ReplicaSet, DaemonSet, HorizontalPodAutoscaler, Job, CronJob, Service, ConfigMap, Secret, ServiceAccount, Role, ClusterRole, RoleBinding, ClusterRoleBinding',
      },
    ]);
    expect(validateManifest({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } }).errors).toEqual([
      { path: 'kind', message: 'Node objects are written by Skiff itself and cannot be applied' },
    ]);
    expect(validateManifest({ apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'x' } }).errors).toEqual([
      { path: 'apiVersion', message: 'Deployment is served at apps/v1, not "v1"' },
    ]);
    expect(validateManifest({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'x' } }).kind?.kind).toBe('Event');
  });

  it('refuses an Event from a manifest, and accepts one from a component (the server taking agent writes)', () => {
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.17f0', namespace: 'shop' },
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web', fieldPath: 'spec.containers{app}' },
      type: 'Normal',
      reason: 'Pulled',
      message: 'Container image "busybox" already present on machine',
      count: 3,
    };
    expect(validateManifest(event).errors).toEqual([{ path: 'kind', message: 'Event objects are written by Skiff itself and cannot be applied' }]);
    expect(validateManifest(event, { components: true }).errors).toEqual([]);
    expect(validateManifest({ ...event, count: 0 }, { components: true }).errors.map((e) => e.path)).toEqual(['count']);
    expect(validateManifest({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } }, { components: true }).errors).toEqual([
      { path: 'kind', message: 'Node objects are written by Skiff itself and cannot be applied' },
    ]);
  });

  it('rejects an object above MAX_OBJECT_BYTES, saying how large it is', () => {
    const blob = 'x'.repeat(Math.round(MAX_OBJECT_BYTES * 1.4));
    const result = validateManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob } });
    expect(result.errors).toEqual([{ path: '', message: 'object is 1.4 MiB; the largest object Skiff stores is 1 MiB' }]);
  });

  it('never says "1.0 MiB" about an object only just too large', () => {
    const blob = 'x'.repeat(MAX_OBJECT_BYTES);
    const [issue] = validateManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob } }).errors;
    expect(issue?.message).toMatch(/^object is 1\.0\d\d MiB;/);
  });

  it('renders the brief example messages', () => {
    const result = validateManifest(
      yaml(`
apiVersion: v1
kind: Pod
metadata:
  name: My_Pod
  labels:
    app.kubernetes.io/name: "-x"
spec:
  restartPolicy: Sometimes
  containers:
  - name: web
    image: nginx
    resources:
      requests:
        cpu: lots
`),
    );
    expect(result.errors.map(formatIssue)).toEqual([
      'metadata.name: must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".", starting and ending alphanumeric), e.g. "my-app"',
      'metadata.labels["app.kubernetes.io/name"]: must be a valid label value: empty, or at most 63 characters (A-Z, a-z, 0-9, "-", "_" and "."), starting and ending alphanumeric',
      'spec.containers[0].resources.requests.cpu: must be a quantity like 250m or 128Mi',
      'spec.restartPolicy: must be one of Always, OnFailure, Never',
    ]);
  });

  it('keeps one error per field', () => {
    const result = validateManifest(
      yaml(`
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
    targetPort: Not-A-Name
  - port: 80
    name: a
`),
    );
    const all = paths(result);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain('spec.ports[0].targetPort');
    expect(all).toContain('spec.ports[0].name');
    expect(all).toContain('spec.ports[1].port');
  });

  it('tells list indices from numeric-looking mapping keys', () => {
    const result = validateManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { '0': 1, 'a b': 'x' } });
    expect(paths(result).sort()).toEqual(['data["0"]', 'data["a b"]']);
  });

  it('reports requests above limits with the limit as written', () => {
    const pod = yaml(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: busybox
    resources:
      requests: {memory: 128Mi, cpu: "2"}
      limits: {memory: 64Mi, cpu: 2}
`);
    expect(validateManifest(pod).errors).toEqual([
      { path: 'spec.containers[0].resources.requests.memory', message: 'must be less than or equal to the memory limit 64Mi' },
    ]);
  });

  it('defaults requests to limits and stores quantities as strings', () => {
    const result = validateManifest(
      yaml('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: b\n    resources:\n      limits: {cpu: 1, memory: 1Gi}\n'),
    );
    expect((result.object as Pod).spec.containers[0]?.resources).toEqual({
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '1', memory: '1Gi' },
    });
  });

  it('fills targetPort from port and keeps an explicit one', () => {
    const result = validateManifest(
      yaml('apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - {name: a, port: 80}\n  - {name: b, port: 81, targetPort: http}\n'),
    );
    const ports = (result.object as Service).spec.ports;
    expect(ports.map((p) => p.targetPort)).toEqual([80, 'http']);
  });

  it('gives a Recreate strategy no rollingUpdate, and rejects one', () => {
    const recreate = deploymentYaml.replace('spec:\n  selector', 'spec:\n  strategy:\n    type: Recreate\n  selector');
    expect((validateManifest(yaml(recreate)).object as Deployment).spec.strategy).toEqual({ type: 'Recreate' });
    const both = recreate.replace('type: Recreate', 'type: Recreate\n    rollingUpdate: {maxSurge: 1}');
    expect(paths(validateManifest(yaml(both)))).toEqual(['spec.strategy.rollingUpdate']);
  });

  it('completes a partial rollingUpdate', () => {
    const partial = deploymentYaml.replace('spec:\n  selector', 'spec:\n  strategy:\n    rollingUpdate: {maxSurge: 2}\n  selector');
    expect((validateManifest(yaml(partial)).object as Deployment).spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 2, maxUnavailable: '25%' },
    });
  });

  it('accepts a Deployment selected by matchExpressions', () => {
    const text = deploymentYaml.replace(
      'matchLabels:\n      app: web',
      'matchExpressions:\n    - {key: app, operator: In, values: [web, api]}\n    - {key: legacy, operator: DoesNotExist}',
    );
    expect(validateManifest(yaml(text)).errors).toEqual([]);
  });

  it('lets stringData win over data for the same key', () => {
    const result = validateManifest({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { k: Buffer.from('old').toString('base64') },
      stringData: { k: 'new' },
    });
    expect((result.object as Secret).data).toEqual({ k: Buffer.from('new').toString('base64') });
  });

  it('rejects what JSON cannot hold instead of silently changing it', () => {
    const loop: Record<string, unknown> = { name: 'x' };
    loop['self'] = loop;
    expect(paths(validateManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: loop } }))).toEqual([
      'data.a.self',
    ]);
    expect(paths(validateManifest(yaml('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: .inf\n')))).toEqual([
      'spec.replicas',
    ]);
  });

  it('keeps a "__proto__" key a plain (unknown) field', () => {
    const input = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"__proto__":{"polluted":true}}') as unknown;
    const result = validateManifest(input);
    expect(result.warnings).toEqual([{ path: '__proto__', message: 'unknown field "__proto__"' }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(result.object)).toBe(Object.prototype);
  });

  it('explains the YAML number trap on string fields', () => {
    const result = validateManifest(yaml('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    version: 1.0\ndata:\n  enabled: true\n'));
    expect(result.errors.map(formatIssue).sort()).toEqual([
      'data.enabled: must be a string (YAML reads this value as a boolean; put it in quotes)',
      'metadata.labels.version: must be a string (YAML reads this value as a number; put it in quotes)',
    ]);
  });

  it('accepts quantities given as YAML numbers', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: b\n    resources:\n      requests: {cpu: 0.25, memory: 1048576}\n';
    expect((validateManifest(yaml(text)).object as Pod).spec.containers[0]?.resources?.requests).toEqual({ cpu: '0.25', memory: '1048576' });
  });
});

describe('field paths', () => {
  it.each<[(string | number)[], string]>([
    [[], ''],
    [['spec'], 'spec'],
    [['spec', 'containers', 0, 'image'], 'spec.containers[0].image'],
    [['metadata', 'labels', 'app.kubernetes.io/name'], 'metadata.labels["app.kubernetes.io/name"]'],
    [['data', 'my-key'], 'data["my-key"]'],
    [['data', '0'], 'data["0"]'],
    [['data', 'a"b'], 'data["a\\"b"]'],
    [['metadata', 'labels', '_x1'], 'metadata.labels._x1'],
    [[0], '[0]'],
    [['-lead'], '["-lead"]'],
  ])('%j renders as %s', (segments, text) => {
    expect(formatFieldPath(segments)).toBe(text);
  });

  it('formatIssue joins path and message', () => {
    expect(formatIssue({ path: 'spec.replicas', message: 'must be an integer' })).toBe('spec.replicas: must be an integer');
    expect(formatIssue({ path: '', message: 'object is 2.0 MiB' })).toBe('object is 2.0 MiB');
  });
});

describe('ReplicaSet and the rollout fields of a Deployment', () => {
  it('accepts a ReplicaSet, defaulting replicas, and checks its selector against its template', () => {
    const rs = validateManifest(yaml(deploymentYaml.replace('kind: Deployment', 'kind: ReplicaSet').replace(/^spec:\n/m, 'spec:\n  minReadySeconds: 5\n')));
    expect(rs.errors).toEqual([]);
    expect((rs.object as unknown as { spec: { replicas: number; minReadySeconds: number } }).spec).toMatchObject({ replicas: 1, minReadySeconds: 5 });
    const mismatched = validateManifest(yaml(deploymentYaml.replace('kind: Deployment', 'kind: ReplicaSet').replace('      app: web\n  template', '      app: api\n  template')));
    expect(mismatched.errors.map((e) => e.path)).toEqual(['spec.selector']);
    const strategy = validateManifest(yaml(deploymentYaml.replace('kind: Deployment', 'kind: ReplicaSet').replace(/^spec:\n/m, 'spec:\n  strategy: { type: Recreate }\n')));
    expect(strategy.warnings.map((w) => w.path)).toEqual(['spec.strategy']);
  });

  it('defaults progressDeadlineSeconds to 600 and refuses a negative one', () => {
    expect((validateManifest(yaml(deploymentYaml)).object as Deployment).spec.progressDeadlineSeconds).toBe(600);
    expect(paths(validateManifest(yaml(deploymentYaml.replace(/^spec:\n/m, 'spec:\n  progressDeadlineSeconds: -1\n'))))).toEqual(['spec.progressDeadlineSeconds']);
  });
});
