import type { Probe } from '@skiff/api/core';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../credentials/test-clock.js';
import type { ProbeOutcome } from './probe-outcome.js';
import { ProbeWorker, type ProbeKind } from './probe-worker.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

/** Lets the worker's awaited run settle after the clock fired it. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A worker whose runs answer from `answers` (the last one repeats), recording when it ran and what it decided. */
function harness(kind: ProbeKind, probe: Probe, answers: boolean[], startedAt = T0) {
  const clock = new FakeClock(T0);
  const runs: number[] = [];
  const verdicts: { at: number; ok: boolean }[] = [];
  const failedRuns: string[] = [];
  let i = 0;
  const worker = new ProbeWorker({
    kind,
    probe,
    startedAt,
    clock,
    run: async (): Promise<ProbeOutcome> => {
      runs.push(clock.now() - T0);
      const ok = answers[Math.min(i, answers.length - 1)] ?? false;
      i += 1;
      return { ok, output: ok ? '' : `run ${String(i)} failed` };
    },
    onVerdict: (ok) => verdicts.push({ at: clock.now() - T0, ok }),
    onFailedRun: (outcome) => failedRuns.push(outcome.output),
  });
  /** Steps the clock to T0 + ms, second by second, letting each run settle. */
  const until = async (ms: number): Promise<void> => {
    for (let t = clock.now() - T0; t <= ms; t += 1000) {
      clock.advanceTo(T0 + t);
      await settle();
    }
  };
  return { clock, worker, runs, verdicts, failedRuns, until };
}

describe('ProbeWorker timing', () => {
  it('runs first at start + initialDelaySeconds, then every periodSeconds', async () => {
    const h = harness('readiness', { exec: { command: ['x'] }, initialDelaySeconds: 5, periodSeconds: 10 }, [true]);
    h.worker.start();
    await h.until(36_000);
    expect(h.runs).toEqual([5_000, 15_000, 25_000, 35_000]);
  });

  it('counts the initial delay from the container start, not from when the worker was made', async () => {
    const h = harness('readiness', { exec: { command: ['x'] }, initialDelaySeconds: 5, periodSeconds: 3 }, [true], T0 - 4_000);
    h.worker.start();
    await h.until(5_000);
    expect(h.runs).toEqual([1_000, 4_000]);
  });

  it('uses Kubernetes defaults when the probe leaves them out: every 10 s, three failures', async () => {
    const h = harness('liveness', { exec: { command: ['x'] } }, [false]);
    h.worker.start();
    await h.until(30_000);
    expect(h.runs).toEqual([0, 10_000, 20_000]);
    expect(h.verdicts).toEqual([{ at: 20_000, ok: false }]);
  });

  it('stops when stopped: no run after stop()', async () => {
    const h = harness('readiness', { exec: { command: ['x'] }, periodSeconds: 1 }, [true]);
    h.worker.start();
    await h.until(2_000);
    h.worker.stop();
    await h.until(10_000);
    expect(h.runs).toEqual([0, 1_000, 2_000]);
    expect(h.clock.pending).toBe(0);
  });
});

describe('ProbeWorker thresholds', () => {
  it('readiness: not ready before the first success; successThreshold successes in a row to become ready', async () => {
    const h = harness('readiness', { exec: { command: ['x'] }, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }, [true, false, true, true, false, true, false, false]);
    expect(h.worker.verdict).toBe(false);
    h.worker.start();
    await h.until(7_000);
    // t=0 ✓ (1 of 2), 1 ✗, 2 ✓, 3 ✓ → ready, 4 ✗ (1 of 2), 5 ✓, 6 ✗, 7 ✗ → unready.
    expect(h.verdicts).toEqual([
      { at: 3_000, ok: true },
      { at: 7_000, ok: false },
    ]);
    expect(h.worker.verdict).toBe(false);
    expect(h.worker.running).toBe(true);
    expect(h.failedRuns).toEqual(['run 2 failed', 'run 5 failed', 'run 7 failed', 'run 8 failed']);
  });

  it('liveness: healthy until failureThreshold failures in a row, then a single verdict and no more runs', async () => {
    const h = harness('liveness', { exec: { command: ['x'] }, periodSeconds: 2, failureThreshold: 3 }, [false, false, true, false, false, false, true]);
    expect(h.worker.verdict).toBe(true);
    h.worker.start();
    await h.until(20_000);
    // 0 ✗, 2 ✗, 4 ✓ resets, 6 ✗, 8 ✗, 10 ✗ → failed at 10 s; nothing after.
    expect(h.runs).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    expect(h.verdicts).toEqual([{ at: 10_000, ok: false }]);
    expect(h.worker.running).toBe(false);
  });

  it('startup: no verdict before it decides; a success ends the worker', async () => {
    const h = harness('startup', { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 30 }, [false, false, false, true]);
    expect(h.worker.verdict).toBeUndefined();
    h.worker.start();
    await h.until(10_000);
    expect(h.verdicts).toEqual([{ at: 3_000, ok: true }]);
    expect(h.runs).toHaveLength(4);
    expect(h.worker.running).toBe(false);
  });

  it('startup: failureThreshold failures end it with a failure', async () => {
    const h = harness('startup', { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 4 }, [false]);
    h.worker.start();
    await h.until(10_000);
    expect(h.verdicts).toEqual([{ at: 3_000, ok: false }]);
    expect(h.runs).toEqual([0, 1_000, 2_000, 3_000]);
  });
});

describe('ProbeWorker and slow runs', () => {
  it('starts the next run right away when a run took longer than the period', async () => {
    const clock = new FakeClock(T0);
    const runs: number[] = [];
    let release: (() => void) | undefined;
    const worker = new ProbeWorker({
      kind: 'readiness',
      probe: { exec: { command: ['x'] }, periodSeconds: 2 },
      startedAt: T0,
      clock,
      run: () => {
        runs.push(clock.now() - T0);
        return new Promise<ProbeOutcome>((resolve) => (release = () => resolve({ ok: true, output: '' })));
      },
      onVerdict: () => undefined,
    });
    worker.start();
    clock.advanceTo(T0);
    await settle();
    clock.advanceTo(T0 + 5_000);
    release?.();
    await settle();
    clock.advanceTo(T0 + 5_000);
    await settle();
    expect(runs).toEqual([0, 5_000]);
    worker.stop();
  });
});
