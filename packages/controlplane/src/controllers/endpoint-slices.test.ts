// The slice planner on its own: exact slices for given pods, and the fewest writes.
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Pod, PodPhase, Service } from '@skiff/api';
import { deepFreeze } from '../cache/informer.js';
import { desiredGroups, planSlices, resolvePorts, sliceOf } from './endpoint-slices.js';

const UID = 'svc-uid';

function service(spec: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', uid: UID },
    spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }], ...spec },
  };
}

function pod(name: string, options: { ip?: string; ready?: boolean; port?: number; deleting?: boolean; phase?: PodPhase; hostname?: string; subdomain?: string } = {}): Pod {
  const ip = options.ip ?? `10.244.1.${name.replace(/\D/g, '') || '9'}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels: { app: 'web' }, ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: {
      containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: options.port ?? 8080, protocol: 'TCP' }] } as Pod['spec']['containers'][number]],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      nodeName: 'node-1',
      ...(options.hostname ? { hostname: options.hostname } : {}),
      ...(options.subdomain ? { subdomain: options.subdomain } : {}),
    },
    status: {
      phase: options.phase ?? 'Running',
      podIP: ip,
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

function names(prefix = 'web'): () => string {
  let n = 0;
  return () => `${prefix}-${String.fromCharCode(97 + n++)}`;
}

describe('desiredGroups and resolvePorts', () => {
  it('gives each pod its endpoint, with conditions, hostname, node and targetRef, exactly', () => {
    const svc = deepFreeze(service());
    const groups = desiredGroups(svc, [
      pod('p1'),
      pod('p2', { ready: false }),
      pod('p3', { deleting: true }),
      pod('p4', { hostname: 'db-0', subdomain: 'web' }),
      pod('p5', { phase: 'Succeeded' }),
      { ...pod('p6'), status: { phase: 'Pending' as const } },
    ].map(deepFreeze));
    expect(groups).toEqual([
      {
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
        endpoints: [
          { addresses: ['10.244.1.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'p1', uid: 'uid-p1' } },
          { addresses: ['10.244.1.2'], conditions: { ready: false, serving: false, terminating: false }, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'p2', uid: 'uid-p2' } },
          { addresses: ['10.244.1.3'], conditions: { ready: false, serving: true, terminating: true }, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'p3', uid: 'uid-p3' } },
          {
            addresses: ['10.244.1.4'],
            conditions: { ready: true, serving: true, terminating: false },
            hostname: 'db-0',
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', namespace: 'shop', name: 'p4', uid: 'uid-p4' },
          },
        ],
      },
    ]);
  });

  it('publishNotReadyAddresses makes every endpoint ready', () => {
    const groups = desiredGroups(deepFreeze(service({ publishNotReadyAddresses: true })), [deepFreeze(pod('p1', { ready: false })), deepFreeze(pod('p2', { deleting: true }))]);
    expect(groups[0]!.endpoints.map((e) => e.conditions)).toEqual([
      { ready: true, serving: false, terminating: false },
      { ready: true, serving: true, terminating: true },
    ]);
  });

  it('resolves a named targetPort per pod; pods that resolve differently are grouped apart; a missing name drops that port', () => {
    const svc = deepFreeze(service({ ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }, { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090 }] }));
    expect(resolvePorts(svc, deepFreeze(pod('p1', { port: 8080 })))).toEqual([
      { name: 'http', protocol: 'TCP', port: 8080 },
      { name: 'metrics', protocol: 'TCP', port: 9090 },
    ]);
    const noName = pod('p3');
    noName.spec.containers[0]!.ports = [];
    expect(resolvePorts(svc, deepFreeze(noName))).toEqual([{ name: 'metrics', protocol: 'TCP', port: 9090 }]);
    const groups = desiredGroups(svc, [pod('p1', { port: 8080 }), pod('p2', { port: 8081 })].map(deepFreeze));
    expect(groups.map((g) => [g.ports[0]!.port, g.endpoints.map((e) => e.targetRef?.name)])).toEqual([
      [8080, ['p1']],
      [8081, ['p2']],
    ]);
  });
});

describe('planSlices', () => {
  const svc = deepFreeze(service());

  function stored(slice: EndpointSlice, rv: number): ReturnType<typeof deepFreeze<EndpointSlice>> {
    return deepFreeze({ ...slice, metadata: { ...slice.metadata, resourceVersion: String(rv) } });
  }

  it('creates one slice, labelled and owned by the Service', () => {
    const plan = planSlices(svc, desiredGroups(svc, [deepFreeze(pod('p1'))]), [], names());
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toEqual([
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'web-a',
          namespace: 'shop',
          labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.skiff.io' },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: UID, controller: true, blockOwnerDeletion: true }],
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.1.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'p1', uid: 'uid-p1' } }],
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      },
    ]);
  });

  it('writes nothing when nothing changed', () => {
    const groups = desiredGroups(svc, [deepFreeze(pod('p1')), deepFreeze(pod('p2'))]);
    const first = planSlices(svc, groups, [], names()).create[0]!;
    expect(planSlices(svc, groups, [stored(first, 5)], names())).toEqual({ create: [], update: [], delete: [] });
  });

  it('packs at most 100 per slice, and a change touches only the slice that holds the endpoint', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, { ip: `10.244.${Math.floor(i / 200)}.${i % 200}` }));
    const groups = desiredGroups(svc, pods.map(deepFreeze));
    const created = planSlices(svc, groups, [], names()).create;
    expect(created.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
    const existing = created.map((s, i) => stored(s, 10 + i));

    // p150 turns unready: only the second slice is rewritten.
    pods[150] = pod('p150', { ip: '10.244.0.150', ready: false });
    const plan = planSlices(svc, desiredGroups(svc, pods.map(deepFreeze)), existing, names());
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update.map((s) => s.metadata.name)).toEqual(['web-b']);
    expect(plan.update[0]!.metadata.resourceVersion).toBe('11');
    expect(plan.update[0]!.endpoints.find((e) => e.targetRef?.name === 'p150')?.conditions.ready).toBe(false);

    pods[150] = pod('p150', { ip: '10.244.0.150' });
    // A new pod goes into a slice being written anyway (here the one its deleted pods left), not a new one.
    const more = [...pods.slice(100), pod('p999', { ip: '10.244.9.9' })];
    const next = planSlices(svc, desiredGroups(svc, more.map(deepFreeze)), existing, names());
    expect(next.delete).toEqual([]);
    expect(next.create).toEqual([]);
    expect(next.update.map((s) => [s.metadata.name, s.endpoints.map((e) => e.targetRef?.name)])).toEqual([['web-a', ['p999']]]);

    // Only deletions: the emptied slice goes, the others are untouched.
    const fewer = planSlices(svc, desiredGroups(svc, pods.slice(100).map(deepFreeze)), existing, names());
    expect(fewer).toEqual({ create: [], update: [], delete: [existing[0]] });

    // A new pod with no room anywhere: the slice with room takes it.
    const extra = planSlices(svc, desiredGroups(svc, [...pods, pod('p998', { ip: '10.244.9.8' })].map(deepFreeze)), existing, names());
    expect(extra.update.map((s) => [s.metadata.name, s.endpoints.length])).toEqual([['web-c', 51]]);
    expect(extra.create).toEqual([]);
  });

  it('keeps one empty placeholder slice when there are no endpoints, and reuses it', () => {
    const empty = planSlices(svc, [], [], names());
    expect(empty.create.map((s) => [s.metadata.name, s.endpoints, s.ports])).toEqual([['web-a', [], []]]);
    const placeholder = stored(empty.create[0]!, 3);
    expect(planSlices(svc, [], [placeholder], names())).toEqual({ create: [], update: [], delete: [] });
    // The placeholder takes the first endpoints (one write, not a create and a delete).
    const filled = planSlices(svc, desiredGroups(svc, [deepFreeze(pod('p1'))]), [placeholder], names());
    expect(filled.create).toEqual([]);
    expect(filled.delete).toEqual([]);
    expect(filled.update.map((s) => [s.metadata.name, s.endpoints.length, s.ports])).toEqual([['web-a', 1, [{ name: 'http', protocol: 'TCP', port: 8080 }]]]);

    // Back to no pods: the slice that had them becomes the placeholder, nothing is created.
    const one = stored(sliceOf(svc, 'web-b', [{ name: 'http', protocol: 'TCP', port: 8080 }], desiredGroups(svc, [deepFreeze(pod('p1'))])[0]!.endpoints), 7);
    const none = planSlices(svc, [], [one], names());
    expect(none.create).toEqual([]);
    expect(none.delete).toEqual([]);
    expect(none.update.map((s) => [s.metadata.name, s.endpoints, s.ports])).toEqual([['web-b', [], []]]);
  });

  it('adopts the slices of a re-created Service (new uid) by rewriting their owner', () => {
    const groups = desiredGroups(svc, [deepFreeze(pod('p1'))]);
    const old = stored(sliceOf(deepFreeze({ ...service(), metadata: { ...service().metadata, uid: 'old' } }), 'web-a', groups[0]!.ports, groups[0]!.endpoints), 4);
    const plan = planSlices(svc, groups, [old], names());
    expect(plan.update.map((s) => s.metadata.ownerReferences?.[0]?.uid)).toEqual([UID]);
  });
});
