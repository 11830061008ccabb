import { describe, expect, it } from 'vitest';
import { POD_TEMPLATE_HASH_LABEL, type Pod, type PodPhase, type ReplicaSet } from '@skiff/api';
import { buildPod, computeReplicaSetStatus, isPodAvailable, newPodName, rankForDeletion, readySinceMs, selects } from './replica-set-pods.js';
import { canonicalJson, computeTemplateHash, equalIgnoringHash, fnv1a32, safeEncode } from './pod-template-hash.js';
import { legacyTemplateHash, planLegacyPods } from './legacy-pod-migration.js';
import { Expectations } from './expectations.js';
import { deepFreeze } from '../cache/informer.js';

function replicaSet(replicas = 3): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-abc', namespace: 'prod', uid: 'uid-1', generation: 4, resourceVersion: '10' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc' } },
      template: {
        metadata: { labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc' }, annotations: { note: 'x' } },
        spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: '1' }] }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
      },
    },
  };
}

function pod(name: string, options: { node?: string; phase?: PodPhase; ready?: boolean; created?: string; hash?: string; readyAt?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      uid: `uid-${name}`,
      namespace: 'prod',
      creationTimestamp: options.created ?? '2026-01-01T00:00:00Z',
      labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: options.hash ?? 'abc' },
    },
    spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...(options.node ? { nodeName: options.node } : {}) },
    status: {
      phase: options.phase ?? 'Running',
      conditions: [
        { type: 'Ready', status: options.ready === false ? 'False' : 'True', ...(options.readyAt ? { lastTransitionTime: options.readyAt } : {}) },
      ],
    },
  };
}

describe('computeTemplateHash (Kubernetes ComputeHash: FNV-1a 32, collision count, safe encoding)', () => {
  it('FNV-1a 32 gives the published test vectors', () => {
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  it('encodes the decimal digits onto the safe alphabet, as rand.SafeEncodeString', () => {
    // '0' is 48, 48 % 27 = 21 → '4'; '9' is 57, 57 % 27 = 3 → 'f'.
    expect(safeEncode('09')).toBe('4f');
  });

  it('is label-safe, stable, independent of key order, and changes with the collision count', () => {
    const template = replicaSet().spec.template;
    const reordered = JSON.parse(canonicalJson({ spec: template.spec, metadata: template.metadata })) as typeof template;
    const hash = computeTemplateHash(deepFreeze(template));
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeTemplateHash(deepFreeze(reordered))).toBe(hash);
    expect(computeTemplateHash(deepFreeze(template), 1)).not.toBe(hash);
    const image = replicaSet().spec.template;
    image.spec.containers[0]!.image = 'busybox:2';
    expect(computeTemplateHash(deepFreeze(image))).not.toBe(hash);
  });

  it('compares templates ignoring the pod-template-hash label', () => {
    const a = replicaSet().spec.template;
    const b = replicaSet().spec.template;
    delete b.metadata!.labels![POD_TEMPLATE_HASH_LABEL];
    expect(equalIgnoringHash(deepFreeze(structuredClone(a)), deepFreeze(structuredClone(b)))).toBe(true);
    b.metadata!.labels!['tier'] = 'x';
    expect(equalIgnoringHash(deepFreeze(a), deepFreeze(b))).toBe(false);
  });

  it('gives the same answers when the same cached templates are compared again, and against a changed one', () => {
    const cached = deepFreeze(replicaSet().spec.template);
    const same = deepFreeze(structuredClone(replicaSet().spec.template));
    const changed = structuredClone(replicaSet().spec.template);
    changed.spec.containers[0]!.image = 'other:2';
    const frozenChanged = deepFreeze(changed);
    for (let i = 0; i < 3; i++) {
      expect(equalIgnoringHash(cached, same)).toBe(true);
      expect(equalIgnoringHash(cached, frozenChanged)).toBe(false);
      expect(equalIgnoringHash(frozenChanged, frozenChanged)).toBe(true);
    }
    expect(cached.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]).toBeDefined();
  });
});

describe('planLegacyPods (pods an older Skiff made the Deployment own)', () => {
  it('releases pods of the current template and deletes outdated or finished ones', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always' as const, terminationGracePeriodSeconds: 30 } };
    const deployment = deepFreeze({
      apiVersion: 'apps/v1' as const,
      kind: 'Deployment' as const,
      metadata: { name: 'web', uid: 'd' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template },
    });
    const current = legacyTemplateHash(deployment.spec.template);
    expect(current).toMatch(/^[a-z0-9]{10}$/);
    const plan = planLegacyPods(deployment, [
      deepFreeze(pod('current', { hash: current })),
      deepFreeze(pod('outdated', { hash: 'zzzzzzzzzz' })),
      deepFreeze(pod('finished', { hash: current, phase: 'Failed' })),
    ]);
    expect(plan.map((p) => [p.pod.metadata.name, p.action])).toEqual([
      ['current', 'release'],
      ['outdated', 'delete'],
      ['finished', 'delete'],
    ]);
  });
});

describe('availability (minReadySeconds)', () => {
  it('counts a pod available once Ready for minReadySeconds, from the stamped transition or when first seen Ready', () => {
    const stamped = deepFreeze(pod('a', { readyAt: '2026-01-01T00:00:10Z' }));
    expect(readySinceMs(stamped, 5)).toBe(Date.parse('2026-01-01T00:00:10Z'));
    expect(readySinceMs(deepFreeze(pod('b')), 5)).toBe(5);
    expect(readySinceMs(deepFreeze(pod('c', { ready: false })), 5)).toBeUndefined();
    expect(isPodAvailable(1000, 0, 1000)).toBe(true);
    expect(isPodAvailable(1000, 2, 2999)).toBe(false);
    expect(isPodAvailable(1000, 2, 3000)).toBe(true);
    expect(isPodAvailable(undefined, 0, 3000)).toBe(false);
  });

  it('computes the ReplicaSet status and when to look again', () => {
    const rs = replicaSet(3);
    rs.spec.minReadySeconds = 10;
    const stranger = pod('stray');
    stranger.metadata.labels = { app: 'web' }; // not fully labelled: no hash label
    const pods = [pod('ready-long'), pod('ready-new'), pod('unready', { ready: false }), stranger].map((p) => deepFreeze(p));
    const since: Record<string, number> = { 'ready-long': 0, 'ready-new': 95_000, stray: 50_000 };
    const result = computeReplicaSetStatus(deepFreeze(rs), {
      pods,
      readySince: (p) => (p.metadata.name === 'unready' ? undefined : since[p.metadata.name]),
      nowMs: 100_000,
    });
    expect(result.status).toEqual({ replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2, observedGeneration: 4 });
    expect(result.recheckAtMs).toBe(105_000);
  });

  it('matches pods by the selector; an empty selector selects nothing', () => {
    const rs = deepFreeze(replicaSet());
    expect(selects(rs, { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc', extra: 'y' })).toBe(true);
    expect(selects(rs, { app: 'web' })).toBe(false);
    expect(selects(deepFreeze({ ...replicaSet(), spec: { ...replicaSet().spec, selector: {} } }), { app: 'web' })).toBe(false);
  });
});

describe('newPodName', () => {
  it('appends five random lowercase alphanumerics and stays a valid DNS label', () => {
    expect(newPodName('web')).toMatch(/^web-[a-z0-9]{5}$/);
    const long = newPodName(`${'a'.repeat(56)}.b-c`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a{56}-[a-z0-9]{5}$/);
    const names = new Set(Array.from({ length: 200 }, () => newPodName('web')));
    expect(names.size).toBeGreaterThan(190);
  });
});

describe('buildPod', () => {
  it('copies the template deeply and points at the ReplicaSet as controller', () => {
    const owner = deepFreeze(replicaSet());
    const built = buildPod(owner, 'web-abc-xyz12', new Date('2026-02-03T04:05:06.789Z'), 'pod-uid');
    expect(built.metadata).toEqual({
      name: 'web-abc-xyz12',
      namespace: 'prod',
      uid: 'pod-uid',
      generation: 1,
      creationTimestamp: '2026-02-03T04:05:06Z',
      labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'uid-1', controller: true, blockOwnerDeletion: true }],
    });
    expect(built.status).toEqual({ phase: 'Pending' });
    expect(built.spec).toEqual(owner.spec.template.spec);
    // A copy, not the frozen cached object: it can be edited.
    built.spec.containers[0]!.env!.push({ name: 'B', value: '2' });
    expect(owner.spec.template.spec.containers[0]!.env).toHaveLength(1);
  });
});

describe('rankForDeletion', () => {
  it('deletes unscheduled, then not running, then not ready, then the newest pods first', () => {
    const pods = [
      pod('old-ready', { node: 'n1', created: '2026-01-01T00:00:00Z' }),
      pod('new-ready', { node: 'n1', created: '2026-01-02T00:00:00Z' }),
      pod('not-ready', { node: 'n1', ready: false }),
      pod('pending', { node: 'n1', phase: 'Pending', ready: false }),
      pod('unscheduled', { phase: 'Pending', ready: false }),
    ].map((p) => deepFreeze(p));
    expect(rankForDeletion(pods).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready']);
  });
});

describe('Expectations', () => {
  it('holds an owner until every expected create and delete has been observed', () => {
    const expectations = new Expectations();
    expect(expectations.satisfied('ns/web', 'u1')).toBe(true);
    expectations.expectCreations('ns/web', 'u1', ['p1', 'p2']);
    expectations.expectDeletions('ns/web', 'u1', ['p0']);
    expectations.creationObserved('ns/web', 'u1', 'p1');
    expectations.creationObserved('ns/web', 'u1', 'p1');
    expectations.deletionObserved('ns/web', 'u1', 'p0');
    expect(expectations.satisfied('ns/web', 'u1')).toBe(false);
    // An unrelated pod does not count.
    expectations.creationObserved('ns/web', 'u1', 'stranger');
    expect(expectations.satisfied('ns/web', 'u1')).toBe(false);
    expectations.creationObserved('ns/web', 'u1', 'p2');
    expect(expectations.satisfied('ns/web', 'u1')).toBe(true);
  });

  it('ignores a different owner uid (deployment re-created under the same name)', () => {
    const expectations = new Expectations();
    expectations.expectCreations('ns/web', 'old', ['p1']);
    expect(expectations.satisfied('ns/web', 'new')).toBe(true);
    expectations.creationObserved('ns/web', 'new', 'p1');
    expect(expectations.satisfied('ns/web', 'old')).toBe(false);
    expectations.forget('ns/web');
    expect(expectations.satisfied('ns/web', 'old')).toBe(true);
  });

  it('expires after the timeout and reports the time left', () => {
    let now = 1_000;
    const expectations = new Expectations({ timeoutMs: 100, now: () => now });
    expectations.expectCreations('k', 'u', ['p']);
    now += 40;
    expect(expectations.satisfied('k', 'u')).toBe(false);
    expect(expectations.remainingMs('k', 'u')).toBe(60);
    now += 60;
    expect(expectations.satisfied('k', 'u')).toBe(true);
    expect(expectations.remainingMs('k', 'u')).toBe(0);
    // New expectations after expiry start a fresh record.
    expectations.expectDeletions('k', 'u', ['q']);
    expect(expectations.satisfied('k', 'u')).toBe(false);
    expectations.deletionObserved('k', 'u', 'q');
    expect(expectations.satisfied('k', 'u')).toBe(true);
  });
});

describe('selects', () => {
  const replicaSet = (selector: ReplicaSet['spec']['selector']): ReplicaSet => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 1, selector, template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'i' }] } } },
  });

  it('matches labels by the selector, the same on every call for a cached (frozen) ReplicaSet', () => {
    const cached = deepFreeze(replicaSet({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }));
    for (let i = 0; i < 3; i++) {
      expect(selects(cached, { app: 'web' })).toBe(true);
      expect(selects(cached, { app: 'web', tier: 'db' })).toBe(false);
      expect(selects(cached, { app: 'api' })).toBe(false);
      expect(selects(cached, undefined)).toBe(false);
    }
  });

  it('reads a new selector after an update (a new cached object), and an unfrozen one afresh each time', () => {
    const before = deepFreeze(replicaSet({ matchLabels: { app: 'web' } }));
    expect(selects(before, { app: 'web' })).toBe(true);
    const after = deepFreeze(replicaSet({ matchLabels: { app: 'api' } }));
    expect(selects(after, { app: 'web' })).toBe(false);
    expect(selects(after, { app: 'api' })).toBe(true);
    const mutable = replicaSet({ matchLabels: { app: 'web' } });
    expect(selects(mutable, { app: 'web' })).toBe(true);
    mutable.spec.selector.matchLabels = { app: 'api' };
    expect(selects(mutable, { app: 'web' })).toBe(false);
  });

  it('selects nothing with an empty selector', () => {
    expect(selects(deepFreeze(replicaSet({})), { app: 'web' })).toBe(false);
  });
});
