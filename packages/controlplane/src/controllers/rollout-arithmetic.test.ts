import { describe, expect, it } from 'vitest';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, type Deployment, type ReplicaSet } from '@skiff/api';
import {
  isScalingEvent,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  planOldScaleDown,
  planScale,
  proportion,
  replicaSetsToPrune,
  resolveFenceposts,
  scaledValue,
} from './rollout-arithmetic.js';

function deployment(replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      ...extra,
    },
  };
}

let clock = 0;
function rs(name: string, replicas: number, available = replicas, annotations: Record<string, string> = {}, status: Partial<NonNullable<ReplicaSet['status']>> = {}): ReplicaSet {
  clock += 1000;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', creationTimestamp: new Date(clock).toISOString(), annotations, generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } } },
    status: { replicas, availableReplicas: available, readyReplicas: available, observedGeneration: 1, ...status },
  };
}

describe('scaledValue and resolveFenceposts (Kubernetes rounding: surge up, unavailable down)', () => {
  it.each([
    [5, 10, true, 5],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['0%', 10, true, 0],
    ['100%', 7, false, 7],
    ['33%', 3, true, 1],
    ['33%', 3, false, 0],
    [undefined, 10, true, 0],
  ] as const)('%s of %i rounding up=%s is %i', (value, total, up, expected) => {
    expect(scaledValue(value, total, up)).toBe(expected);
  });

  it('refuses what is not a number or a percentage', () => {
    expect(() => scaledValue('25', 10, true)).toThrow(/int-or-percent/);
  });

  it.each([
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 1, 1, 0],
    ['25%', '25%', 50, 13, 12],
    [0, 0, 10, 0, 1], // both zero: maxUnavailable becomes 1
    ['0%', '10%', 5, 0, 1], // 10 % of 5 rounds down to 0, then 1
    [2, '50%', 3, 2, 1],
  ] as const)('maxSurge %s, maxUnavailable %s of %i → %i, %i', (surge, unavailable, desired, expectedSurge, expectedUnavailable) => {
    expect(resolveFenceposts(surge, unavailable, desired)).toEqual({ surge: expectedSurge, unavailable: expectedUnavailable });
  });

  it('Recreate has neither; maxUnavailable never exceeds replicas and is 0 with no replicas', () => {
    expect(maxSurge(deployment(4, 2, 1, { strategy: { type: 'Recreate' } }))).toBe(0);
    expect(maxUnavailable(deployment(4, 2, 1, { strategy: { type: 'Recreate' } }))).toBe(0);
    expect(maxUnavailable(deployment(2, 0, 5))).toBe(2);
    expect(maxUnavailable(deployment(0, 0, 5))).toBe(0);
  });
});

describe('newRSNewReplicas (Kubernetes NewRSNewReplicas)', () => {
  it('grows the new ReplicaSet up to replicas + maxSurge over all ReplicaSets', () => {
    const d = deployment(10, '25%', '25%'); // surge 3
    const old = rs('old', 10);
    const fresh = rs('new', 0);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(3);
  });

  it('does not grow when the total is already at replicas + maxSurge', () => {
    const d = deployment(10, 3, 0);
    const old = rs('old', 8);
    const fresh = rs('new', 5);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(5);
  });

  it('counts the pods an old ReplicaSet still has after being scaled down, until its status says they are gone', () => {
    const d = deployment(4, 1, 1);
    // The old ReplicaSet was scaled 4 → 3; its controller has not removed the pod yet.
    const old = rs('old', 3, 3, {}, { replicas: 4 });
    const fresh = rs('new', 1, 0);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(1);
    const removed = rs('old', 3, 3, {}, { replicas: 3 });
    expect(newRSNewReplicas(d, [removed, fresh], fresh)).toBe(2);
  });

  it('never grows beyond replicas', () => {
    const d = deployment(6, 10, 0);
    const old = rs('old', 1);
    const fresh = rs('new', 2);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(6);
  });

  it('Recreate takes replicas at once', () => {
    const d = deployment(3, 1, 1, { strategy: { type: 'Recreate' } });
    const fresh = rs('new', 1);
    expect(newRSNewReplicas(d, [rs('old', 3), fresh], fresh)).toBe(3);
  });
});

describe('planOldScaleDown (Kubernetes reconcileOldReplicaSets)', () => {
  it('removes nothing while the new pods are not available and old ones are all needed', () => {
    const d = deployment(3, 1, 0); // minAvailable 3
    const old = rs('old', 3, 3);
    const fresh = rs('new', 1, 0);
    expect(planOldScaleDown(d, [old], fresh)).toEqual(new Map());
  });

  it('removes old pods as new ones become available, keeping replicas − maxUnavailable', () => {
    const d = deployment(3, 1, 0);
    const old = rs('old', 3, 3);
    const fresh = rs('new', 1, 1);
    expect(planOldScaleDown(d, [old], fresh)).toEqual(new Map([['old', 2]]));
  });

  it('removes unavailable old pods first, without counting them against availability', () => {
    const d = deployment(10, 0, 2); // minAvailable 8
    const old = rs('old', 10, 7); // 3 unavailable
    const fresh = rs('new', 0, 0);
    // total 10 − min 8 − 0 new unavailable = 2 may go; both from the unhealthy ones, none healthy (7 < 8).
    expect(planOldScaleDown(d, [old], fresh)).toEqual(new Map([['old', 8]]));
  });

  it('scales down older ReplicaSets first', () => {
    const d = deployment(4, 0, 2); // minAvailable 2
    const older = rs('older', 2, 2);
    const old = rs('old', 2, 2);
    const fresh = rs('new', 0, 0);
    expect(planOldScaleDown(d, [old, older], fresh)).toEqual(new Map([['older', 0]]));
  });

  it('counts the unavailable pods of the new ReplicaSet against the budget', () => {
    const d = deployment(4, 2, 1); // minAvailable 3
    const old = rs('old', 4, 4);
    const fresh = rs('new', 2, 0);
    // total 6 − 3 − 2 unavailable new = 1
    expect(planOldScaleDown(d, [old], fresh)).toEqual(new Map([['old', 3]]));
  });
});

describe('planScale (Kubernetes proportional scaling)', () => {
  it('sizes the only active ReplicaSet to replicas', () => {
    const d = deployment(5);
    expect(planScale(d, rs('new', 3, 3, { [DESIRED_REPLICAS_ANNOTATION]: '3' }), [rs('old', 0)])).toEqual(new Map([['new', 5]]));
  });

  it('with no active ReplicaSet, sizes the new one', () => {
    const d = deployment(2);
    expect(planScale(d, rs('new', 0), [rs('old', 0)])).toEqual(new Map([['new', 2]]));
  });

  it('sends old ReplicaSets to 0 once the new one is saturated', () => {
    const d = deployment(3);
    const fresh = rs('new', 3, 3, { [DESIRED_REPLICAS_ANNOTATION]: '3' });
    expect(planScale(d, fresh, [rs('old', 1, 1)])).toEqual(new Map([['old', 0]]));
  });

  it('spreads a scale-up mid-rollout in proportion (Kubernetes: 10 → 30 with 5 old + 8 new at maxSurge 3)', () => {
    // Was 10 replicas, surge 3 → max 13: old 5 and new 8 (annotated max 13). Now 30 (+25 % = 8 → 38).
    const d = deployment(30, 8, 0);
    const annotations = { [DESIRED_REPLICAS_ANNOTATION]: '10', [MAX_REPLICAS_ANNOTATION]: '13' };
    const old = rs('old', 5, 5, annotations);
    const fresh = rs('new', 8, 0, annotations);
    // toAdd 38 − 13 = 25; new: round(8·38/13)=23 → +15; old: round(5·38/13)=15 → +10.
    expect(planScale(d, fresh, [old])).toEqual(new Map([['new', 23], ['old', 15]]));
    expect(proportion(fresh, d, 25, 0)).toBe(15);
  });

  it('spreads a scale-down mid-rollout, leftovers to the largest, never below 0', () => {
    const d = deployment(0, 1, 0);
    const annotations = { [DESIRED_REPLICAS_ANNOTATION]: '4', [MAX_REPLICAS_ANNOTATION]: '5' };
    expect(planScale(d, rs('new', 2, 0, annotations), [rs('old', 3, 3, annotations)])).toEqual(new Map([['new', 0], ['old', 0]]));
  });

  it('knows a scaling event from the desired-replicas annotation', () => {
    const fresh = rs('new', 3, 3, { [DESIRED_REPLICAS_ANNOTATION]: '3' });
    expect(isScalingEvent(deployment(3), [fresh])).toBe(false);
    expect(isScalingEvent(deployment(4), [fresh])).toBe(true);
    expect(isScalingEvent(deployment(4), [rs('unannotated', 3)])).toBe(false);
  });
});

describe('replicaSetsToPrune (revisionHistoryLimit)', () => {
  it('deletes the oldest revisions beyond the limit, only those scaled to 0 with no pods', () => {
    const d = deployment(1, 1, 0, { revisionHistoryLimit: 1 });
    const r1 = rs('r1', 0, 0, { [REVISION_ANNOTATION]: '1' });
    const r2 = rs('r2', 0, 0, { [REVISION_ANNOTATION]: '2' }, { replicas: 1 }); // a pod still terminating
    const r3 = rs('r3', 0, 0, { [REVISION_ANNOTATION]: '3' });
    expect(replicaSetsToPrune(d, [r3, r2, r1]).map((r) => r.metadata.name)).toEqual(['r1']);
    expect(replicaSetsToPrune({ ...d, spec: { ...d.spec, revisionHistoryLimit: 0 } }, [r3, r1]).map((r) => r.metadata.name)).toEqual(['r1', 'r3']);
    expect(replicaSetsToPrune({ ...d, spec: { ...d.spec, revisionHistoryLimit: 5 } }, [r3, r2, r1])).toEqual([]);
  });
});

describe('planOldScaleDown with a status behind its spec', () => {
  it('counts an old ReplicaSet as at most spec.replicas available', () => {
    const d = deployment(4, 1, 1); // minAvailable 3
    // The old one was just scaled 4 → 2; its status still says 4 available.
    const old = rs('old', 2, 4);
    const fresh = rs('new', 3, 1);
    // Available that counts: 2 + 1 = 3 = minAvailable: nothing more may go.
    expect(planOldScaleDown(d, [old], fresh)).toEqual(new Map());
  });
});
