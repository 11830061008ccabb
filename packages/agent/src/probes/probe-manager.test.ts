import type { Container, Pod, Probe } from '@skiff/api/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../credentials/test-clock.js';
import type { PodEvent } from '../events/pod-events.js';
import type { ContainerView } from '../pod-status.js';
import type { ContainerState } from '../runtime/runtime.js';
import type { ProbeOutcome, ProbeTarget } from './probe-outcome.js';
import { ProbeManager } from './probe-manager.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const probe = (name: string, extra: Partial<Probe> = {}): Probe => ({ exec: { command: [name] }, periodSeconds: 1, failureThreshold: 2, ...extra });

function pod(containers: Container[], restartPolicy: Pod['spec']['restartPolicy'] = 'Always'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-1' },
    spec: { containers, restartPolicy, terminationGracePeriodSeconds: 7 },
  };
}

function running(name: string, attempt = 0): ContainerState {
  return { id: `uid-1-${name}-${String(attempt)}`, labels: {}, status: 'running', startedAt: new Date(T0).toISOString(), logPath: '/dev/null' };
}

const view = (name: string, current?: ContainerState): ContainerView => ({ name, image: 'busybox', restartCount: 0, ...(current ? { current } : {}) });

/** A manager whose probes answer from `answers[command]` (true/false, changeable), recording runs, events, kills and changes. */
function harness(options: { holding?: Set<string> } = {}) {
  const clock = new FakeClock(T0);
  const answers = new Map<string, boolean>();
  const runs: string[] = [];
  const events: PodEvent[] = [];
  const kills: { id: string; graceMs: number; podIP: string }[] = [];
  let changes = 0;
  const manager = new ProbeManager({
    clock,
    run: async (p: Probe, target: ProbeTarget): Promise<ProbeOutcome> => {
      const command = p.exec?.command[0] ?? '';
      runs.push(`${command}@${target.containerId}@${target.podIP}`);
      const ok = answers.get(command) ?? false;
      return { ok, output: ok ? '' : `${command} said no` };
    },
    events: { record: (_pod, event) => events.push(event) },
    onChange: () => (changes += 1),
    kill: async (_pod, _container, state, graceMs, podIP) => {
      kills.push({ id: state.id, graceMs, podIP });
    },
    ...(options.holding ? { holding: (id: string) => options.holding?.has(id) ?? false } : {}),
    log: pino({ level: 'silent' }),
  });
  const until = async (ms: number): Promise<void> => {
    for (let t = clock.now() - T0; t <= ms; t += 1000) {
      clock.advanceTo(T0 + t);
      await settle();
    }
  };
  return { clock, answers, runs, events, kills, manager, until, changes: () => changes };
}

const shown = (views: ContainerView[], name: string) => views.find((v) => v.name === name);

describe('ProbeManager: readiness', () => {
  it('a container with a readiness probe is not ready before its first success, and follows the probe after', async () => {
    const h = harness();
    const p = pod([{ name: 'web', image: 'busybox', readinessProbe: probe('ready?') }, { name: 'side', image: 'busybox' }]);
    const views = [view('web', running('web')), view('side', running('side'))];
    const first = h.manager.observe(p, views, '10.244.1.5');
    expect(shown(first, 'web')).toMatchObject({ ready: false, started: true });
    expect(shown(first, 'side')).toMatchObject({ ready: true, started: true });
    await h.until(2_000);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')?.ready).toBe(false);
    h.answers.set('ready?', true);
    await h.until(3_000);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')?.ready).toBe(true);
    expect(h.changes()).toBe(1);
    h.answers.set('ready?', false);
    await h.until(5_000);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')?.ready).toBe(false);
    expect(h.runs[0]).toBe('ready?@uid-1-web-0@10.244.1.5');
    expect(h.events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message)).toEqual([
      'Readiness probe failed: ready? said no',
      'Readiness probe failed: ready? said no',
      'Readiness probe failed: ready? said no',
      'Readiness probe failed: ready? said no',
      'Readiness probe failed: ready? said no',
    ]);
    expect(h.events[0]).toMatchObject({ type: 'Warning', fieldPath: 'spec.containers{web}' });
    expect(h.kills).toEqual([]);
  });

  it('a new attempt of the container starts over: not ready until its own first success', async () => {
    const h = harness();
    h.answers.set('ready?', true);
    const p = pod([{ name: 'web', image: 'busybox', readinessProbe: probe('ready?') }]);
    h.manager.observe(p, [view('web', running('web', 0))], '10.244.1.5');
    await h.until(0);
    expect(shown(h.manager.observe(p, [view('web', running('web', 0))], '10.244.1.5'), 'web')?.ready).toBe(true);
    expect(shown(h.manager.observe(p, [view('web', running('web', 1))], '10.244.1.5'), 'web')?.ready).toBe(false);
    expect(h.manager.workerCount).toBe(1);
  });
});

describe('ProbeManager: startup', () => {
  it('holds liveness and readiness back until the startup probe succeeded; the container is not started till then', async () => {
    const h = harness();
    h.answers.set('live?', true);
    h.answers.set('ready?', true);
    const p = pod([{ name: 'web', image: 'busybox', startupProbe: probe('started?', { failureThreshold: 10 }), livenessProbe: probe('live?'), readinessProbe: probe('ready?') }]);
    const views = [view('web', running('web'))];
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')).toMatchObject({ started: false, ready: false });
    await h.until(3_000);
    expect(h.runs.map((r) => r.split('@')[0])).toEqual(['started?', 'started?', 'started?', 'started?']);
    h.answers.set('started?', true);
    await h.until(4_000);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')).toMatchObject({ started: true, ready: false });
    await h.until(5_000);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')).toMatchObject({ started: true, ready: true });
    // Liveness and readiness run from the startup success on (at 4 s, then 5 s: their delay is long past); the startup probe no more.
    expect(h.runs.slice(5).map((r) => r.split('@')[0]).sort()).toEqual(['live?', 'live?', 'ready?', 'ready?']);
  });

  it('a startup probe that keeps failing kills the container', async () => {
    const h = harness();
    const p = pod([{ name: 'web', image: 'busybox', startupProbe: probe('started?', { failureThreshold: 3 }), livenessProbe: probe('live?') }]);
    h.manager.observe(p, [view('web', running('web'))], '10.244.1.5');
    await h.until(5_000);
    expect(h.kills).toEqual([{ id: 'uid-1-web-0', graceMs: 7_000, podIP: '10.244.1.5' }]);
    expect(h.events.filter((e) => e.reason === 'Killing')).toEqual([
      { type: 'Normal', reason: 'Killing', message: 'Container web failed startup probe, will be restarted', fieldPath: 'spec.containers{web}' },
    ]);
    expect(h.runs.every((r) => r.startsWith('started?'))).toBe(true);
  });
});

describe('ProbeManager: liveness', () => {
  it('failureThreshold failures kill only that container, once, with kubelet events and the probe\'s own grace period', async () => {
    const h = harness();
    const p = pod([
      { name: 'web', image: 'busybox', livenessProbe: probe('live?', { failureThreshold: 3, terminationGracePeriodSeconds: 2 }) },
      { name: 'side', image: 'busybox', livenessProbe: probe('side-live?') },
    ]);
    h.answers.set('side-live?', true);
    const views = [view('web', running('web')), view('side', running('side'))];
    h.manager.observe(p, views, '10.244.1.5');
    await h.until(1_000);
    expect(h.kills).toEqual([]);
    await h.until(2_000);
    expect(h.kills).toEqual([{ id: 'uid-1-web-0', graceMs: 2_000, podIP: '10.244.1.5' }]);
    // While it is being killed it is not ready; no further runs of its probe.
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')?.ready).toBe(false);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'side')?.ready).toBe(true);
    await h.until(6_000);
    expect(h.kills).toHaveLength(1);
    expect(h.runs.filter((r) => r.startsWith('live?'))).toHaveLength(3);
    expect(h.events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      'Unhealthy: Liveness probe failed: live? said no',
      'Unhealthy: Liveness probe failed: live? said no',
      'Unhealthy: Liveness probe failed: live? said no',
      'Killing: Container web failed liveness probe, will be restarted',
    ]);
    // The next attempt is probed afresh (at 6 s and 7 s).
    h.manager.observe(p, [view('web', running('web', 1)), view('side', running('side'))], '10.244.1.5');
    await h.until(7_000);
    expect(h.runs.filter((r) => r.startsWith('live?@uid-1-web-1'))).toHaveLength(2);
  });

  it('a kill that failed is tried again: the container is probed afresh and killed at the next threshold', async () => {
    const h = harness();
    let refusals = 1;
    const kills: string[] = [];
    const manager = new ProbeManager({
      clock: h.clock,
      run: async () => ({ ok: false, output: 'no' }),
      events: { record: () => undefined },
      onChange: () => undefined,
      kill: async (_pod, _container, state) => {
        kills.push(`${state.id}@${String(h.clock.now() - T0)}`);
        if (refusals-- > 0) throw new Error('runc said no');
      },
      log: pino({ level: 'silent' }),
    });
    const p = pod([{ name: 'web', image: 'busybox', livenessProbe: probe('live?', { failureThreshold: 1 }) }]);
    const views = [view('web', running('web'))];
    manager.observe(p, views, '10.244.1.5');
    await h.until(0);
    expect(kills).toEqual(['uid-1-web-0@0']);
    // The next pass sees it still running: new workers, which fail again and kill again.
    manager.observe(p, views, '10.244.1.5');
    await h.until(1_000);
    expect(kills).toEqual(['uid-1-web-0@0', 'uid-1-web-0@0']);
    manager.stop();
  });

  it('with restartPolicy Never, the Killing event does not promise a restart', async () => {
    const h = harness();
    const p = pod([{ name: 'web', image: 'busybox', livenessProbe: probe('live?', { failureThreshold: 1 }) }], 'Never');
    h.manager.observe(p, [view('web', running('web'))], '10.244.1.5');
    await h.until(0);
    expect(h.events.at(-1)?.message).toBe('Container web failed liveness probe');
    expect(h.kills[0]?.graceMs).toBe(7_000);
  });
});

describe('ProbeManager: what it keeps', () => {
  it('does not probe a container whose postStart hook still runs', async () => {
    const holding = new Set(['uid-1-web-0']);
    const h = harness({ holding });
    h.answers.set('ready?', true);
    const p = pod([{ name: 'web', image: 'busybox', readinessProbe: probe('ready?') }]);
    const views = [view('web', running('web'))];
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')).toMatchObject({ ready: false, started: false });
    await h.until(3_000);
    expect(h.runs).toEqual([]);
    holding.clear();
    h.manager.observe(p, views, '10.244.1.5');
    await h.until(3_000);
    expect(shown(h.manager.observe(p, views, '10.244.1.5'), 'web')?.ready).toBe(true);
  });

  it('drops the probes of exited containers and of pods no longer kept', async () => {
    const h = harness();
    const p = pod([{ name: 'web', image: 'busybox', readinessProbe: probe('ready?'), livenessProbe: probe('live?') }]);
    h.manager.observe(p, [view('web', running('web'))], '10.244.1.5');
    expect(h.manager.workerCount).toBe(2);
    const exited: ContainerState = { ...running('web'), status: 'exited', exitCode: 1 };
    expect(shown(h.manager.observe(p, [view('web', exited)], '10.244.1.5'), 'web')).toMatchObject({ ready: false, started: false });
    expect(h.manager.workerCount).toBe(0);
    h.manager.observe(p, [view('web', running('web', 1))], '10.244.1.5');
    expect(h.manager.workerCount).toBe(2);
    h.manager.retain(new Set(['another-pod']));
    expect(h.manager.workerCount).toBe(0);
    await h.until(3_000);
    expect(h.runs).toEqual([]);
    expect(h.clock.pending).toBe(0);
  });
});
