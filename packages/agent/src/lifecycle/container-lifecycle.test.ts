import type { Container, Pod } from '@skiff/api/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../credentials/test-clock.js';
import type { PodEvent } from '../events/pod-events.js';
import type { ContainerState, ExecOptions, ExecSession } from '../runtime/runtime.js';
import { ContainerLifecycle } from './container-lifecycle.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const state: ContainerState = { id: 'uid-1-web-0', labels: {}, status: 'running', startedAt: new Date(T0).toISOString(), logPath: '/dev/null' };

function pod(container: Container): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', uid: 'uid-1' }, spec: { containers: [container], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } };
}

/** A runtime whose exec'd commands finish when the test says (exit code per command), recording the order of what happened. */
function harness() {
  const clock = new FakeClock(T0);
  const log: string[] = [];
  const events: PodEvent[] = [];
  const pending = new Map<string, (code: number) => void>();
  let changes = 0;
  const runtime = {
    exec: async (id: string, options: ExecOptions): Promise<ExecSession> => {
      const command = options.command.join(' ');
      log.push(`exec ${command} in ${id}`);
      const exited = new Promise<number>((resolve) => pending.set(command, resolve));
      return { exited, kill: () => log.push(`hang up ${command}`) } as unknown as ExecSession;
    },
    stop: async (id: string, graceMs: number): Promise<ContainerState> => {
      log.push(`stop ${id} grace ${String(graceMs)}`);
      return { ...state, status: 'exited', exitCode: 143 };
    },
  };
  const lifecycle = new ContainerLifecycle({ runtime, events: { record: (_p, e) => events.push(e) }, clock, onChange: () => (changes += 1), log: pino({ level: 'silent' }) });
  const finish = async (command: string, code: number) => {
    await settle();
    pending.get(command)?.(code);
    await settle();
    await settle();
  };
  return { clock, log, events, lifecycle, finish, changes: () => changes };
}

describe('postStart', () => {
  it('runs after the start; the container is starting until it returns', async () => {
    const h = harness();
    const container: Container = { name: 'web', image: 'x', lifecycle: { postStart: { exec: { command: ['touch', '/started'] } } } };
    h.lifecycle.postStart(pod(container), container, state, '10.244.1.5');
    expect(h.lifecycle.isStarting(state.id)).toBe(true);
    await h.finish('touch /started', 0);
    expect(h.lifecycle.isStarting(state.id)).toBe(false);
    expect(h.log).toEqual(['exec touch /started in uid-1-web-0']);
    expect(h.events).toEqual([]);
    expect(h.changes()).toBe(1);
  });

  it('a failure is a FailedPostStartHook event and kills the container (with its preStop first)', async () => {
    const h = harness();
    const container: Container = {
      name: 'web',
      image: 'x',
      lifecycle: { postStart: { exec: { command: ['false'] } }, preStop: { exec: { command: ['drain'] } } },
    };
    const p = pod(container);
    h.lifecycle.postStart(p, container, state, '10.244.1.5');
    await h.finish('false', 1);
    await h.finish('drain', 0);
    expect(h.log).toEqual(['exec false in uid-1-web-0', 'exec drain in uid-1-web-0', 'stop uid-1-web-0 grace 10000']);
    expect(h.events).toEqual([
      {
        type: 'Warning',
        reason: 'FailedPostStartHook',
        message: 'Exec lifecycle hook ([false]) for Container "web" in Pod "web_shop(uid-1)" failed - error: command "false" exited with 1',
        fieldPath: 'spec.containers{web}',
      },
      { type: 'Normal', reason: 'Killing', message: 'FailedPostStartHook', fieldPath: 'spec.containers{web}' },
    ]);
    expect(h.lifecycle.isStarting(state.id)).toBe(false);
  });

  it('does nothing without a hook', () => {
    const h = harness();
    const container: Container = { name: 'web', image: 'x' };
    h.lifecycle.postStart(pod(container), container, state, '10.244.1.5');
    expect(h.lifecycle.isStarting(state.id)).toBe(false);
    expect(h.log).toEqual([]);
  });
});

describe('stopContainer (preStop, then TERM, then KILL)', () => {
  it('runs preStop before the stop and gives the stop what is left of the grace period', async () => {
    const h = harness();
    const container: Container = { name: 'web', image: 'x', lifecycle: { preStop: { exec: { command: ['drain'] } } } };
    const stopped = h.lifecycle.stopContainer(pod(container), container, state, 10_000);
    await settle();
    h.clock.advanceTo(T0 + 3_000);
    await h.finish('drain', 0);
    await stopped;
    expect(h.log).toEqual(['exec drain in uid-1-web-0', 'stop uid-1-web-0 grace 7000']);
  });

  it('a sleep preStop is cut at the grace period, and the stop still gets kubelet minimum of 2 s', async () => {
    const h = harness();
    const container: Container = { name: 'web', image: 'x', lifecycle: { preStop: { sleep: { seconds: 60 } } } };
    const stopped = h.lifecycle.stopContainer(pod(container), container, state, 5_000);
    await settle();
    h.clock.advanceTo(T0 + 5_000);
    await stopped;
    // A sleep hook is cut at the grace period: it is not a failure.
    expect(h.log).toEqual(['stop uid-1-web-0 grace 2000']);
    expect(h.events).toEqual([]);
  });

  it('a failing preStop is an event, and the stop goes on', async () => {
    const h = harness();
    const container: Container = { name: 'web', image: 'x', lifecycle: { preStop: { httpGet: { port: 'missing', path: '/quit' } } } };
    await h.lifecycle.stopContainer(pod(container), container, state, 10_000, '10.244.1.5');
    expect(h.events).toEqual([
      {
        type: 'Warning',
        reason: 'FailedPreStopHook',
        message: 'HTTP lifecycle hook (/quit) for Container "web" in Pod "web_shop(uid-1)" failed - error: couldn\'t find port "missing" among the container\'s ports',
        fieldPath: 'spec.containers{web}',
      },
    ]);
    expect(h.log).toEqual(['stop uid-1-web-0 grace 10000']);
  });

  it('without a preStop (or without grace) it is a plain stop', async () => {
    const h = harness();
    const container: Container = { name: 'web', image: 'x', lifecycle: { preStop: { exec: { command: ['drain'] } } } };
    await h.lifecycle.stopContainer(pod(container), container, state, 0);
    await h.lifecycle.stopContainer(pod(container), undefined, state, 4_000);
    expect(h.log).toEqual(['stop uid-1-web-0 grace 0', 'stop uid-1-web-0 grace 4000']);
  });
});
