import { describe, expect, it } from 'vitest';
import { PROGRESS_REASONS, type Deployment, type DeploymentStatus, type ReplicaSet } from '@skiff/api';
import { deepFreeze } from '../cache/informer.js';
import { calculateStatus, deploymentTimedOut, rolloutStatus, setCondition, stuckRecheckInMs, withPausedCondition, newCondition } from './deployment-status.js';

const T0 = new Date('2026-03-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function deployment(replicas: number, status?: DeploymentStatus, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      progressDeadlineSeconds: 60,
      ...extra,
    },
    ...(status ? { status } : {}),
  };
}

function rs(name: string, replicas: number, status: { replicas: number; ready: number; available: number }): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: {}, template: { spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } } },
    status: { replicas: status.replicas, readyReplicas: status.ready, availableReplicas: status.available },
  };
}

describe('calculateStatus', () => {
  it('sums the ReplicaSets and sets Available against replicas − maxUnavailable', () => {
    const d = deepFreeze(deployment(3));
    const old = deepFreeze(rs('old', 2, { replicas: 2, ready: 2, available: 2 }));
    const fresh = deepFreeze(rs('new', 2, { replicas: 2, ready: 1, available: 0 }));
    const status = calculateStatus(d, [old, fresh], fresh, undefined, T0);
    expect(status).toEqual({
      observedGeneration: 2,
      replicas: 4,
      updatedReplicas: 2,
      readyReplicas: 3,
      availableReplicas: 2,
      unavailableReplicas: 2,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: '2026-03-01T00:00:00Z', lastTransitionTime: '2026-03-01T00:00:00Z' },
      ],
    });
    const short = calculateStatus(d, [deepFreeze(rs('new', 3, { replicas: 3, ready: 1, available: 1 }))], undefined, undefined, T0);
    expect(short.conditions?.[0]).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });
});

describe('setCondition', () => {
  it('keeps a condition of the same status and reason as it is, and the transition time of the same status', () => {
    const status: DeploymentStatus = {};
    setCondition(status, newCondition('Progressing', 'True', 'A', 'a', at(0)));
    setCondition(status, newCondition('Progressing', 'True', 'A', 'changed', at(5)));
    expect(status.conditions?.[0]).toMatchObject({ message: 'a', lastUpdateTime: '2026-03-01T00:00:00Z' });
    setCondition(status, newCondition('Progressing', 'True', 'B', 'b', at(10)));
    expect(status.conditions?.[0]).toMatchObject({ reason: 'B', lastUpdateTime: '2026-03-01T00:00:10Z', lastTransitionTime: '2026-03-01T00:00:00Z' });
  });
});

describe('rolloutStatus: the Progressing condition and its deadline', () => {
  const created = newCondition('Progressing', 'True', PROGRESS_REASONS.newReplicaSetCreated, 'Created new replica set "new"', at(0));
  const stored: DeploymentStatus = { replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, conditions: [created] };
  const stuck = [deepFreeze(rs('old', 3, { replicas: 3, ready: 3, available: 3 })), deepFreeze(rs('new', 1, { replicas: 1, ready: 0, available: 0 }))];

  it('refreshes lastUpdateTime on progress, keeping the transition time', () => {
    const d = deepFreeze(deployment(3, stored));
    const moving = [deepFreeze(rs('old', 2, { replicas: 2, ready: 2, available: 2 })), deepFreeze(rs('new', 2, { replicas: 2, ready: 1, available: 1 }))];
    const next = rolloutStatus(d, moving, moving[1], d.status, at(30));
    const progressing = next.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "new" is progressing.', lastUpdateTime: '2026-03-01T00:00:30Z', lastTransitionTime: '2026-03-01T00:00:00Z' });
  });

  it('says ProgressDeadlineExceeded once progressDeadlineSeconds passed without progress, not before', () => {
    const d = deepFreeze(deployment(3, stored));
    expect(rolloutStatus(d, stuck, stuck[1], d.status, at(60)).conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetCreated');
    const late = rolloutStatus(d, stuck, stuck[1], d.status, at(61));
    expect(late.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "new" has timed out progressing.',
    });
    expect(deploymentTimedOut(d, late, at(61).getTime())).toBe(true);
    expect(stuckRecheckInMs(d, stored, at(10).getTime())).toBe(51_000);
    expect(stuckRecheckInMs(d, late, at(61).getTime())).toBeUndefined();
  });

  it('says NewReplicaSetAvailable once complete, and leaves it so', () => {
    const d = deepFreeze(deployment(3, stored));
    const done = [deepFreeze(rs('new', 3, { replicas: 3, ready: 3, available: 3 }))];
    const next = rolloutStatus(d, done, done[0], d.status, at(40));
    expect(next.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const later = rolloutStatus(deepFreeze(deployment(3, next)), done, done[0], next, at(4000));
    expect(later.conditions?.find((c) => c.type === 'Progressing')?.lastUpdateTime).toBe('2026-03-01T00:00:40Z');
  });

  it('has no Progressing condition without a deadline', () => {
    const d = deepFreeze(deployment(3, stored, { progressDeadlineSeconds: 2_147_483_647 }));
    expect(rolloutStatus(d, stuck, stuck[1], d.status, at(9999)).conditions?.map((c) => c.type)).toEqual(['Available']);
  });

  it('marks paused and resumed deployments (Unknown), but never hides a timeout', () => {
    const status: DeploymentStatus = { conditions: [created] };
    withPausedCondition(deepFreeze(deployment(3, undefined, { paused: true })), status, at(5));
    expect(status.conditions?.[0]).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    withPausedCondition(deepFreeze(deployment(3)), status, at(9));
    expect(status.conditions?.[0]).toMatchObject({ status: 'Unknown', reason: 'DeploymentResumed', lastUpdateTime: '2026-03-01T00:00:09Z' });
    const timedOut: DeploymentStatus = { conditions: [newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'x', at(0))] };
    withPausedCondition(deepFreeze(deployment(3, undefined, { paused: true })), timedOut, at(5));
    expect(timedOut.conditions?.[0]?.reason).toBe('ProgressDeadlineExceeded');
  });
});
