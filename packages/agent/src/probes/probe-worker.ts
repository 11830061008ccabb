// One probe of one container attempt, run on its schedule, its results turned
// into the probe's verdict as kubelet's worker does:
//   - the first run at the container's start + initialDelaySeconds, then one
//     every periodSeconds (counted from the start of a run; a run that takes
//     longer is followed at once by the next);
//   - the verdict changes only after successThreshold successes, or
//     failureThreshold failures, in a row;
//   - before any verdict: readiness is failure (not ready until the first
//     success), liveness success, startup none;
//   - a liveness or startup verdict of failure ends the worker (the container
//     is killed; its next attempt gets a new worker), and so does a startup
//     success (liveness and readiness take over).
// Time comes from an injected clock, so the unit tests step it exactly.
import type { Probe } from '@skiff/api/core';
import type { Clock } from '../credentials/certificate-renewer.js';
import type { ProbeOutcome } from './probe-outcome.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeWorkerOptions {
  readonly kind: ProbeKind;
  /** Defaulted (periodSeconds, thresholds) by validation; absent values read as Kubernetes' defaults. */
  readonly probe: Probe;
  /** When the container started (ms since the epoch): initialDelaySeconds counts from there. */
  readonly startedAt: number;
  /** One run of the probe against the container. Never rejects. */
  readonly run: () => Promise<ProbeOutcome>;
  readonly clock: Clock;
  /** The verdict changed: true success, false failure, with the run that decided it. */
  readonly onVerdict: (ok: boolean, outcome: ProbeOutcome) => void;
  /** Every failed run, decisive or not (kubelet's Unhealthy event). */
  readonly onFailedRun?: (outcome: ProbeOutcome) => void;
}

export class ProbeWorker {
  private verdictValue: boolean | undefined;
  private lastRun: boolean | undefined;
  private runLength = 0;
  private cancel?: () => void;
  private stopped = false;

  constructor(private readonly options: ProbeWorkerOptions) {
    this.verdictValue = options.kind === 'readiness' ? false : options.kind === 'liveness' ? true : undefined;
  }

  /** The current verdict (see the file's comment for the one before any). */
  get verdict(): boolean | undefined {
    return this.verdictValue;
  }

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    const first = this.options.startedAt + (this.options.probe.initialDelaySeconds ?? 0) * 1000;
    this.schedule(first - this.options.clock.now());
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancel = this.options.clock.setTimeout(() => void this.tick(), Math.max(0, delayMs));
  }

  private async tick(): Promise<void> {
    this.cancel = undefined;
    if (this.stopped) return;
    const began = this.options.clock.now();
    const outcome = await this.options.run();
    if (this.stopped) return;
    this.record(outcome);
    const periodMs = (this.options.probe.periodSeconds ?? 10) * 1000;
    this.schedule(began + periodMs - this.options.clock.now());
  }

  private record(outcome: ProbeOutcome): void {
    if (!outcome.ok) this.options.onFailedRun?.(outcome);
    this.runLength = this.lastRun === outcome.ok ? this.runLength + 1 : 1;
    this.lastRun = outcome.ok;
    const needed = outcome.ok ? (this.options.probe.successThreshold ?? 1) : (this.options.probe.failureThreshold ?? 3);
    if (this.runLength < needed) return;
    const changed = this.verdictValue !== outcome.ok;
    this.verdictValue = outcome.ok;
    const final = this.options.kind === 'startup' || (this.options.kind === 'liveness' && !outcome.ok);
    if (final) this.stop();
    if (changed || final) this.options.onVerdict(outcome.ok, outcome);
  }
}
