// PodTerminations against a recording runtime: the preStop hook point runs
// before SIGTERM and only for a container that has a handler, the grace period
// counts from the start (preStop included, SIGTERM never under 2 s), a shorter
// grace period from a second delete brings the kill forward without running
// preStop again, and the last status of a stopped pod is terminal.
import type { Container, Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LABEL } from './container-labels.js';
import { stopSignalOf as imageStopSignal } from './images/oci.js';
import { PodTerminations, stoppedPodStatus, withStopSignal, type PreStopRunner } from './pod-termination.js';
import type { ContainerSpec, ContainerState, ExecSession, Runtime } from './runtime/runtime.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const WAIT = { timeoutMs: 5_000, intervalMs: 5 };

/** Records each call in order; stop resolves only when the test lets it (release). */
class RecordingRuntime implements Runtime {
  readonly name = 'runc';
  readonly calls: string[] = [];
  private readonly releases: (() => void)[] = [];

  async start(_spec: ContainerSpec): Promise<ContainerState> {
    throw new Error('not started here');
  }
  async stop(id: string, graceMs: number, signal?: NodeJS.Signals): Promise<ContainerState> {
    this.calls.push(`stop ${id} ${graceMs}${signal && signal !== 'SIGTERM' ? ` ${signal}` : ''}`);
    await new Promise<void>((resolve) => this.releases.push(resolve));
    return { id, labels: {}, status: 'exited', exitCode: 143, logPath: '' };
  }
  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
  }
  async state(): Promise<undefined> {
    return undefined;
  }
  async list(): Promise<ContainerState[]> {
    return [];
  }
  async exec(): Promise<ExecSession> {
    throw new Error('no exec');
  }
  release(): void {
    for (const release of this.releases.splice(0)) release();
  }
}

function runningState(uid: string, container: string): ContainerState {
  return { id: `${uid}-${container}-0`, labels: { [LABEL.podUid]: uid, [LABEL.container]: container, [LABEL.attempt]: '0' }, status: 'running', logPath: '' };
}

function deletedPod(containers: Container[], grace: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', deletionTimestamp: '2026-03-01T12:00:30Z', deletionGracePeriodSeconds: grace },
    spec: { containers, terminationGracePeriodSeconds: 30, nodeName: 'n1' },
  } as Pod;
}

function setup(preStop?: PreStopRunner) {
  let now = T0;
  const runtime = new RecordingRuntime();
  const events: string[] = [];
  const terminations = new PodTerminations({
    runtime,
    events: { record: (_pod, event) => void events.push(`${event.reason}: ${event.message}`) },
    log: pino({ level: 'silent' }),
    now: () => now,
    ...(preStop ? { preStop } : {}),
  });
  return { runtime, events, terminations, advance: (ms: number) => void (now += ms) };
}

describe('PodTerminations', () => {
  it('runs preStop (only where there is a handler) before SIGTERM, and gives SIGTERM what is left of the grace period', async () => {
    const hooks: string[] = [];
    let clock: ReturnType<typeof setup> | undefined;
    const runner: PreStopRunner = {
      preStop: async (_pod, container, id, deadline) => {
        hooks.push(`${container.name} ${id} until ${deadline - T0}`);
        // The hook takes 4 s (after the other container was signalled: the clock is shared).
        await new Promise((resolve) => setTimeout(resolve, 20));
        clock?.advance(4_000);
      },
    };
    clock = setup(runner);
    const { runtime, terminations, events } = clock;
    const withHook = { name: 'app', image: 'busybox:1', lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye'] } } } } as Container;
    const pod = deletedPod([withHook, { name: 'side', image: 'busybox:1' }], 10);
    let stopped = 0;
    const states = [runningState('u1', 'app'), runningState('u1', 'side')];
    expect(terminations.sync(pod, states, () => stopped++)).toBe(false);
    await waitFor(() => runtime.calls.length === 2, { ...WAIT, description: 'both containers to be signalled' });
    expect(hooks).toEqual(['app u1-app-0 until 10000']);
    // side had no hook: SIGTERM at once with the full 10 s; app's hook used 4 s of them.
    expect(runtime.calls.sort()).toEqual(['stop u1-app-0 6000', 'stop u1-side-0 10000'].sort());
    expect(events).toEqual(['Killing: Stopping container app', 'Killing: Stopping container side']);
    // Still stopping: another pass starts nothing new.
    expect(terminations.sync(pod, states, () => stopped++)).toBe(false);
    expect(runtime.calls).toHaveLength(2);
    runtime.release();
    await waitFor(() => stopped === 1, { ...WAIT, description: 'the stop to finish' });
    const exited = states.map((s) => ({ ...s, status: 'exited' as const, exitCode: 143 }));
    expect(terminations.sync(pod, exited, () => stopped++)).toBe(true);
  });

  it('never gives SIGTERM less than 2 s, and a shorter grace period from a second delete brings the kill forward once', async () => {
    const hooks: string[] = [];
    const { runtime, terminations } = setup({ preStop: async () => void hooks.push('preStop') });
    const app = { name: 'app', image: 'busybox:1', lifecycle: { preStop: { exec: { command: ['true'] } } } } as Container;
    const states = [runningState('u1', 'app')];
    terminations.sync(deletedPod([app], 1), states, () => undefined);
    await waitFor(() => runtime.calls.length === 1, { ...WAIT, description: 'SIGTERM' });
    expect(runtime.calls).toEqual(['stop u1-app-0 2000']);

    const other = setup({ preStop: async () => void hooks.push('preStop') });
    other.terminations.sync(deletedPod([app], 30), states, () => undefined);
    await waitFor(() => other.runtime.calls.length === 1, { ...WAIT, description: 'SIGTERM' });
    other.advance(1_000);
    // A longer grace period changes nothing; a shorter one stops again with the earlier deadline, without preStop.
    other.terminations.sync(deletedPod([app], 60), states, () => undefined);
    other.terminations.sync(deletedPod([app], 5), states, () => undefined);
    await waitFor(() => other.runtime.calls.length === 2, { ...WAIT, description: 'the second stop' });
    expect(other.runtime.calls).toEqual(['stop u1-app-0 30000', 'stop u1-app-0 5000']);
    expect(hooks).toEqual(['preStop', 'preStop']); // one per termination above, none for the shortening
    runtime.release();
    other.runtime.release();
  });

  it('a container with a preStop handler but no runner wired is stopped anyway (the hook point is then a no-op)', async () => {
    const { runtime, terminations } = setup();
    const app = { name: 'app', image: 'busybox:1', lifecycle: { preStop: { exec: { command: ['true'] } } } } as Container;
    terminations.sync(deletedPod([app], 3), [runningState('u1', 'app')], () => undefined);
    await waitFor(() => runtime.calls.length === 1, { ...WAIT, description: 'SIGTERM' });
    expect(runtime.calls).toEqual(['stop u1-app-0 3000']);
    runtime.release();
  });

  it('tears down a pod that is gone from its labels: SIGTERM with the grace it was started with, then removal, then release', async () => {
    const { runtime, terminations } = setup();
    const state = { ...runningState('u1', 'app'), labels: { ...runningState('u1', 'app').labels, [LABEL.graceSeconds]: '7' } };
    let released = false;
    terminations.tearDown('u1', [state], async () => void (released = true));
    expect(terminations.isTearingDown('u1')).toBe(true);
    await waitFor(() => runtime.calls.length === 1, { ...WAIT, description: 'SIGTERM' });
    runtime.release();
    await waitFor(() => released, { ...WAIT, description: 'the release' });
    expect(runtime.calls).toEqual(['stop u1-app-0 7000', 'remove u1-app-0']);
    await waitFor(() => !terminations.isTearingDown('u1'), { ...WAIT, description: 'the teardown to end' });
  });
});

describe("the image's StopSignal", () => {
  it('is read as Docker takes it (QUIT, SIGQUIT, 3), an unknown one ignored', () => {
    expect(['SIGQUIT', 'quit', '3', 'SIGRTMAX', 'SIGNOPE', '', 7].map((value) => imageStopSignal(value))).toEqual(['SIGQUIT', 'SIGQUIT', 'SIGQUIT', undefined, undefined, undefined, undefined]);
  });

  it('is remembered in a label and sent instead of SIGTERM', async () => {
    const { runtime, terminations } = setup();
    const spec = withStopSignal({ id: 'u1-main-0', labels: runningState('u1', 'main').labels } as ContainerSpec, 'SIGQUIT');
    expect(withStopSignal(spec, undefined)).toBe(spec);
    terminations.sync(deletedPod([{ name: 'main', image: 'busybox:1' }], 4), [{ ...runningState('u1', 'main'), labels: spec.labels }], () => undefined);
    await waitFor(() => runtime.calls.length === 1, { ...WAIT, description: 'the stop signal' });
    expect(runtime.calls).toEqual(['stop u1-main-0 4000 SIGQUIT']);
    runtime.release();
  });
});

describe('stoppedPodStatus', () => {
  const context = { hostIP: '192.0.2.1', startTime: '2026-03-01T12:00:00Z' };
  const exited = (exitCode: number): ContainerState => ({ ...runningState('u1', 'app'), status: 'exited', exitCode, finishedAt: '2026-03-01T12:00:05Z' });

  it('is Failed unless every container exited 0, and never Ready', () => {
    const pod = deletedPod([{ name: 'app', image: 'busybox:1' }], 30);
    const failed = stoppedPodStatus(pod, [exited(143)], context);
    expect(failed.phase).toBe('Failed');
    expect(failed.conditions?.find((c) => c.type === 'Ready')).toEqual({ type: 'Ready', status: 'False', reason: 'PodCompleted' });
    expect(failed.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(stoppedPodStatus(pod, [exited(0)], context).phase).toBe('Succeeded');
    expect(stoppedPodStatus(pod, [], context).phase).toBe('Failed');
  });
});
