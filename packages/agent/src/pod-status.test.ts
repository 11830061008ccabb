import type { Pod, PodStatus, RestartPolicy } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { buildPodStatus, willRestart, withTransitionTimes, type ContainerView } from './pod-status.js';
import type { ContainerState } from './runtime/runtime.js';

const exited = (exitCode: number, extra: Partial<ContainerState> = {}): ContainerState => ({
  id: 'c-0',
  labels: {},
  status: 'exited',
  exitCode,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  logPath: '/dev/null',
  ...extra,
});
const running: ContainerState = { id: 'c-1', labels: {}, status: 'running', startedAt: '2026-01-01T00:00:02.000Z', logPath: '/dev/null' };

function pod(restartPolicy: RestartPolicy): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: 'u' },
    spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy, terminationGracePeriodSeconds: 30 },
  };
}

const context = { hostIP: '127.0.0.1', podIP: '10.244.1.2', startTime: '2026-01-01T00:00:00.000Z' };
const view = (partial: Partial<ContainerView>): ContainerView => ({ name: 'c', image: 'x', restartCount: 0, ...partial });

describe('willRestart', () => {
  it.each([
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 3, true],
    ['Never', 0, false],
    ['Never', 3, false],
  ] as const)('%s with exit code %i → %s', (policy, code, expected) => {
    expect(willRestart(policy, exited(code))).toBe(expected);
  });

  it('never restarts a running container', () => {
    expect(willRestart('Always', running)).toBe(false);
  });
});

describe('buildPodStatus', () => {
  it('is Pending while the first container is being created', () => {
    const status = buildPodStatus(pod('Always'), [view({ waiting: { reason: 'ContainerCreating' } })], context);
    expect(status.phase).toBe('Pending');
    expect(status.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } });
    expect(status.conditions).toContainEqual({ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' });
    expect(status.conditions).toContainEqual({ type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' });
  });

  it('is Running and Ready with the container running, keeping the previous attempt as lastState', () => {
    const status = buildPodStatus(pod('Always'), [view({ current: running, previous: exited(2), restartCount: 1 })], context);
    expect(status).toMatchObject({ phase: 'Running', podIP: '10.244.1.2', hostIP: '127.0.0.1' });
    expect(status.containerStatuses?.[0]).toMatchObject({
      ready: true,
      restartCount: 1,
      state: { running: { startedAt: '2026-01-01T00:00:02.000Z' } },
      lastState: { terminated: { exitCode: 2, reason: 'Error' } },
    });
  });

  it('shows CrashLoopBackOff with the last exit while a restart waits out its back-off', () => {
    const status = buildPodStatus(
      pod('Always'),
      [view({ current: exited(7), restartCount: 3, waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } })],
      context,
    );
    expect(status.phase).toBe('Running');
    expect(status.containerStatuses?.[0]).toMatchObject({
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 7 } },
      restartCount: 3,
    });
  });

  it.each([
    ['Never', 0, 'Succeeded'],
    ['Never', 1, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
  ] as const)('restartPolicy %s, exit %i → %s', (policy, code, phase) => {
    expect(buildPodStatus(pod(policy), [view({ current: exited(code) })], context).phase).toBe(phase);
  });

  it('reports an OOM kill as OOMKilled', () => {
    const status = buildPodStatus(pod('Never'), [view({ current: exited(137, { oomKilled: true }) })], context);
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it("keeps the scheduler's PodScheduled condition, with its bind time", () => {
    const scheduled = { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: '2026-01-01T00:00:00.500Z' };
    const withCondition = { ...pod('Always'), status: { phase: 'Pending' as const, conditions: [scheduled] } };
    expect(buildPodStatus(withCondition, [view({ current: running })], context).conditions).toContainEqual(scheduled);
  });
});

describe('buildPodStatus: qosClass', () => {
  it('reports the QoS class the pod resources give it', () => {
    const guaranteed = pod('Always');
    guaranteed.spec.containers[0] = { name: 'c', image: 'x', resources: { limits: { cpu: '100m', memory: '16Mi' } } };
    expect(buildPodStatus(guaranteed, [view({ current: running })], context).qosClass).toBe('Guaranteed');
    const burstable = pod('Always');
    burstable.spec.containers[0] = { name: 'c', image: 'x', resources: { requests: { memory: '16Mi' } } };
    expect(buildPodStatus(burstable, [view({ current: running })], context).qosClass).toBe('Burstable');
    expect(buildPodStatus(pod('Always'), [view({ current: running })], context).qosClass).toBe('BestEffort');
  });
});

describe('withTransitionTimes (kubelet lastTransitionTime)', () => {
  const status = (ready: 'True' | 'False', since?: string): PodStatus => ({
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00.000Z' },
      { type: 'Ready', status: ready, ...(since ? { lastTransitionTime: since } : {}) },
    ],
  });

  it('stamps now on a new condition and keeps a given time', () => {
    const stamped = withTransitionTimes(undefined, status('False'), '2026-01-01T00:00:05.000Z');
    expect(stamped.conditions).toEqual([
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00.000Z' },
      { type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:05.000Z' },
    ]);
  });

  it('keeps the last time while the status is unchanged, and moves it when the status changes', () => {
    const before = withTransitionTimes(undefined, status('False'), '2026-01-01T00:00:05.000Z');
    expect(withTransitionTimes(before, status('False'), '2026-01-01T00:00:09.000Z')).toEqual(before);
    const ready = withTransitionTimes(before, status('True'), '2026-01-01T00:00:10.000Z');
    expect(ready.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:00:10.000Z');
  });
});
