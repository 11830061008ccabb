// Graceful pod deletion over the in-memory store: what is marked, what is
// removed at once, shortening a pending grace period, the uid precondition,
// and the errors of a stale or foreign precondition.
import { ConflictError, kindInfo, NotFoundError, type Pod } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/index.js';
import { ObjectStore } from './object-store.js';
import { deletePod, planPodDeletion } from './pod-deletion.js';

const POD = kindInfo('Pod');
const NOW = new Date('2026-05-06T07:08:09Z');

function pod(overrides: { nodeName?: string; grace?: number; phase?: string; name?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: overrides.name ?? 'web', namespace: 'shop', uid: 'uid-1' },
    spec: {
      containers: [{ name: 'app', image: 'busybox:1' }],
      terminationGracePeriodSeconds: overrides.grace ?? 30,
      ...(overrides.nodeName ? { nodeName: overrides.nodeName } : {}),
    },
    ...(overrides.phase ? { status: { phase: overrides.phase } } : {}),
  } as Pod;
}

describe('planPodDeletion', () => {
  it('marks a bound pod: deletionTimestamp = now + grace, with the pod’s own grace period by default', () => {
    const plan = planPodDeletion(pod({ nodeName: 'n1', grace: 45 }), undefined, NOW);
    expect(plan.op).toBe('mark');
    if (plan.op !== 'mark') return;
    expect(plan.pod.metadata.deletionTimestamp).toBe('2026-05-06T07:08:54Z');
    expect(plan.pod.metadata.deletionGracePeriodSeconds).toBe(45);
  });

  it('takes the request’s grace period over the pod’s', () => {
    const plan = planPodDeletion(pod({ nodeName: 'n1' }), 5, NOW);
    expect(plan.op === 'mark' && plan.pod.metadata.deletionGracePeriodSeconds).toBe(5);
  });

  it('removes at once what nothing runs: unbound pods, finished pods, and grace 0', () => {
    expect(planPodDeletion(pod(), undefined, NOW)).toEqual({ op: 'remove' });
    expect(planPodDeletion(pod({ nodeName: 'n1', phase: 'Succeeded' }), undefined, NOW)).toEqual({ op: 'remove' });
    expect(planPodDeletion(pod({ nodeName: 'n1', phase: 'Failed' }), 30, NOW)).toEqual({ op: 'remove' });
    expect(planPodDeletion(pod({ nodeName: 'n1' }), 0, NOW)).toEqual({ op: 'remove' });
  });

  it('shortens a pending grace period but never lengthens it', () => {
    const marked = planPodDeletion(pod({ nodeName: 'n1' }), 30, NOW);
    if (marked.op !== 'mark') throw new Error('expected a mark');
    expect(planPodDeletion(marked.pod, 60, NOW)).toEqual({ op: 'none' });
    expect(planPodDeletion(marked.pod, 30, NOW)).toEqual({ op: 'none' });
    const shorter = planPodDeletion(marked.pod, 3, NOW);
    expect(shorter.op === 'mark' && shorter.pod.metadata).toMatchObject({ deletionGracePeriodSeconds: 3, deletionTimestamp: '2026-05-06T07:08:12Z' });
    expect(planPodDeletion(marked.pod, 0, NOW)).toEqual({ op: 'remove' });
  });
});

describe('deletePod', () => {
  let objects: ObjectStore;

  beforeEach(async () => {
    objects = new ObjectStore(new MemoryStore());
  });

  it('keeps a bound pod, marked, and removes it when asked again with grace 0', async () => {
    await objects.create(POD, pod({ nodeName: 'n1' }));
    const first = await deletePod(objects, 'shop', 'web', {}, () => NOW);
    expect(first.removed).toBe(false);
    expect((await objects.mustGet<Pod>(POD, 'shop', 'web')).metadata).toMatchObject({ deletionGracePeriodSeconds: 30, deletionTimestamp: '2026-05-06T07:08:39Z' });
    const again = await deletePod(objects, 'shop', 'web', {}, () => NOW);
    expect(again).toEqual({ pod: first.pod, removed: false });
    expect((await deletePod(objects, 'shop', 'web', { gracePeriodSeconds: 0 })).removed).toBe(true);
    expect(await objects.get(POD, 'shop', 'web')).toBeUndefined();
  });

  it('refuses a uid precondition that names another incarnation, and a stale resourceVersion', async () => {
    const created = await objects.create(POD, pod({ nodeName: 'n1' }));
    const wrongUid = await rejectionOf(deletePod(objects, 'shop', 'web', { gracePeriodSeconds: 0, uid: 'uid-0' }), ConflictError);
    expect(wrongUid.message).toMatch(/^Precondition failed on pods "web" in namespace "shop": UID in precondition: uid-0, UID in object meta: uid-1/);
    await rejectionOf(deletePod(objects, 'shop', 'web', { expectedRevision: Number(created.metadata.resourceVersion) - 1 }), ConflictError);
    expect(await objects.get(POD, 'shop', 'web')).toBeDefined();
    await rejectionOf(deletePod(objects, 'shop', 'gone'), NotFoundError);
  });
});
