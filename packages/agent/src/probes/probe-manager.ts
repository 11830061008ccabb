// The probes of every running container on the node: a worker per container
// attempt and probe (probe-worker.ts), made when the reconciler shows the
// attempt running and dropped when it is gone. What they find feeds the pod's
// status (ContainerView.ready/started, then pod-status.ts) and its events:
//   - startupProbe: until it succeeds, liveness and readiness do not run and
//     the container is neither started nor ready; its failure kills the container;
//   - livenessProbe: its failure kills the container, which restarts per the
//     pod's restartPolicy (the reconciler's back-off applies);
//   - readinessProbe: ready only from its first success (so the pod's Ready
//     and ContainersReady conditions, and its endpoints);
//   - every failed run: a Warning "Unhealthy" event ("Liveness probe failed: …"),
//     a kill: Normal "Killing" ("Container main failed liveness probe, will be restarted").
// A container whose postStart hook still runs is not probed yet.
import type { Container, Pod, Probe } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { Clock } from '../credentials/certificate-renewer.js';
import type { PodEventSink } from '../events/pod-events.js';
import type { ContainerView } from '../pod-status.js';
import type { ContainerState } from '../runtime/runtime.js';
import type { ProbeOutcome } from './probe-outcome.js';
import type { RunProbe } from './prober.js';
import { ProbeWorker, type ProbeKind } from './probe-worker.js';

export interface ProbeManagerOptions {
  readonly run: RunProbe;
  readonly clock: Clock;
  readonly events: PodEventSink;
  /** A verdict changed: the pod's status should be computed again (the reconciler's trigger). */
  readonly onChange: () => void;
  /** Stops a container that failed its liveness or startup probe (preStop, TERM, KILL: lifecycle/). */
  readonly kill: (pod: Pod, container: Container, state: ContainerState, graceMs: number, podIP: string) => Promise<unknown>;
  /** Containers not to probe yet (their postStart hook still runs). */
  readonly holding?: (containerId: string) => boolean;
  readonly log: Logger;
}

/** One container attempt's probes and what they found. */
interface Entry {
  readonly state: ContainerState;
  pod: Pod;
  container: Container;
  podIP: string;
  started: boolean;
  ready: boolean;
  killing: boolean;
  readonly workers: Map<ProbeKind, ProbeWorker>;
}

const PROBE_FIELD: Record<ProbeKind, 'livenessProbe' | 'readinessProbe' | 'startupProbe'> = {
  liveness: 'livenessProbe',
  readiness: 'readinessProbe',
  startup: 'startupProbe',
};
const TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export class ProbeManager {
  /** By pod uid, then container name. */
  private readonly pods = new Map<string, Map<string, Entry>>();
  private stopped = false;

  constructor(private readonly options: ProbeManagerOptions) {}

  /**
   * The pod's containers as the reconciler sees them, with what the probes say:
   * starts the probes of a newly running attempt, drops those of attempts gone.
   */
  observe(pod: Pod, views: readonly ContainerView[], podIP: string): ContainerView[] {
    const uid = pod.metadata.uid ?? '';
    const entries = this.pods.get(uid) ?? new Map<string, Entry>();
    this.pods.set(uid, entries);
    const shown = views.map((view) => {
      const container = pod.spec.containers.find((c) => c.name === view.name);
      const state = view.current;
      const running = container !== undefined && state?.status === 'running' && view.waiting === undefined;
      let entry = entries.get(view.name);
      if (entry && (!running || entry.state.id !== state.id)) {
        this.drop(entry);
        entries.delete(view.name);
        entry = undefined;
      }
      if (!running) return { ...view, ready: false, started: false };
      if (!entry) {
        entry = { state, pod, container, podIP, started: !container.startupProbe, ready: !container.readinessProbe, killing: false, workers: new Map() };
        entries.set(view.name, entry);
      }
      Object.assign(entry, { pod, container, podIP });
      if (this.options.holding?.(state.id)) return { ...view, ready: false, started: false };
      this.ensureWorkers(entry);
      return { ...view, started: entry.started, ready: entry.started && entry.ready && !entry.killing };
    });
    for (const [name, entry] of entries) {
      if (!views.some((v) => v.name === name)) {
        this.drop(entry);
        entries.delete(name);
      }
    }
    return shown;
  }

  /** Forgets the probes of every pod not in `uids` (pods that are gone from the node). */
  retain(uids: ReadonlySet<string>): void {
    for (const [uid, entries] of this.pods) {
      if (uids.has(uid)) continue;
      for (const entry of entries.values()) this.drop(entry);
      this.pods.delete(uid);
    }
  }

  stop(): void {
    this.stopped = true;
    this.retain(new Set());
  }

  /** How many probe workers run (for tests and metrics). */
  get workerCount(): number {
    let count = 0;
    for (const entries of this.pods.values()) for (const entry of entries.values()) count += [...entry.workers.values()].filter((w) => w.running).length;
    return count;
  }

  private ensureWorkers(entry: Entry): void {
    if (this.stopped || entry.killing) return;
    const kinds: ProbeKind[] = entry.started ? ['liveness', 'readiness'] : ['startup'];
    for (const kind of kinds) {
      const probe = entry.container[PROBE_FIELD[kind]];
      if (!probe || entry.workers.has(kind)) continue;
      const worker = this.worker(entry, kind, probe);
      entry.workers.set(kind, worker);
      worker.start();
    }
  }

  private worker(entry: Entry, kind: ProbeKind, probe: Probe): ProbeWorker {
    const startedAt = entry.state.startedAt ? Date.parse(entry.state.startedAt) : this.options.clock.now();
    return new ProbeWorker({
      kind,
      probe,
      startedAt,
      clock: this.options.clock,
      run: () => this.options.run(probe, { containerId: entry.state.id, podIP: entry.podIP, ports: entry.container.ports ?? [] }),
      onFailedRun: (outcome) => this.unhealthy(entry, kind, outcome),
      onVerdict: (ok) => this.verdict(entry, kind, probe, ok),
    });
  }

  private unhealthy(entry: Entry, kind: ProbeKind, outcome: ProbeOutcome): void {
    this.options.events.record(entry.pod, {
      type: 'Warning',
      reason: 'Unhealthy',
      message: `${TITLE[kind]} probe failed: ${outcome.output}`,
      fieldPath: `spec.containers{${entry.container.name}}`,
    });
  }

  private verdict(entry: Entry, kind: ProbeKind, probe: Probe, ok: boolean): void {
    if (kind === 'readiness') {
      entry.ready = ok;
    } else if (kind === 'startup' && ok) {
      entry.started = true;
      this.ensureWorkers(entry);
    } else if (!ok) {
      this.killFor(entry, kind, probe);
    }
    this.options.onChange();
  }

  /** A liveness or startup failure: kubelet's Killing event, then the stop (with the probe's own grace period, if it has one). */
  private killFor(entry: Entry, kind: ProbeKind, probe: Probe): void {
    entry.killing = true;
    for (const worker of entry.workers.values()) worker.stop();
    const { pod, container, state } = entry;
    const restarts = pod.spec.restartPolicy !== 'Never';
    this.options.events.record(pod, {
      type: 'Normal',
      reason: 'Killing',
      message: `Container ${container.name} failed ${kind} probe${restarts ? ', will be restarted' : ''}`,
      fieldPath: `spec.containers{${container.name}}`,
    });
    const graceSeconds = probe.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    this.options.log.info({ container: state.id, probe: kind }, 'container failed its probe; stopping it');
    void this.options
      .kill(pod, container, state, graceSeconds * 1000, entry.podIP)
      .catch((error: unknown) => {
        // As kubelet retries the kill at its next sync: probe afresh, and a failure past the threshold kills again.
        this.options.log.warn({ err: error, container: state.id }, 'could not stop a container that failed its probe; probing it again');
        entry.killing = false;
        entry.workers.clear();
      })
      .finally(() => this.options.onChange());
  }

  private drop(entry: Entry): void {
    for (const worker of entry.workers.values()) worker.stop();
    entry.workers.clear();
  }
}
