// Stopping a pod's containers, as kubelet's killPod does: for each container,
// in parallel, the preStop hook (its lifecycle handler, run by whoever the
// agent wires in as the PreStopRunner), then SIGTERM, then — once the grace
// period is over — SIGKILL. The grace period counts from the moment stopping
// began, preStop included; what preStop leaves of it is never less than
// kubelet's minimum of 2 s for SIGTERM.
//
// Two ways in: a pod the API marked for deletion (metadata.deletionTimestamp,
// graceful deletion: its grace period is deletionGracePeriodSeconds) is
// stopped here while the pod object still exists, and the reconciler then
// asks the control plane to remove it; a pod that vanished without that
// (force-deleted, its node judged lost, the agent restarted) is stopped from
// its containers' labels, with the pod's terminationGracePeriodSeconds.
import type { Container, Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import { containerEvents } from './events/container-events.js';
import type { PodEventSink } from './events/pod-events.js';
import type { PodStatus } from '@skiff/api/core';
import { attemptOf, LABEL } from './container-labels.js';
import { buildPodStatus, type ContainerView, type PodStatusContext } from './pod-status.js';
import type { ContainerSpec, ContainerState, Runtime } from './runtime/runtime.js';

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;
/** kubelet's minimumGracePeriodInSeconds: SIGTERM always gets at least this long, whatever preStop used. */
export const MINIMUM_SIGTERM_GRACE_MS = 2_000;

/**
 * Where a container's lifecycle.preStop handler (exec, httpGet) runs. The
 * termination calls it only for a container that has one, before SIGTERM,
 * and waits for it until `deadline` (milliseconds since the epoch).
 */
export interface PreStopRunner {
  preStop(pod: Pod, container: Container, containerId: string, deadline: number): Promise<void>;
}

export interface PodTerminationOptions {
  readonly runtime: Runtime;
  readonly events: PodEventSink;
  readonly log: Logger;
  readonly now: () => number;
  /** Absent: this agent runs no lifecycle handlers (a container with a preStop is stopped without it, and that is logged). */
  readonly preStop?: PreStopRunner;
}

/** The seconds a pod marked for deletion gives its containers: what the delete asked for, else the pod's own. */
export function gracePeriodSecondsOf(pod: Pod): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

interface InFlight {
  readonly deadline: number;
  readonly done: Promise<void>;
}

export class PodTerminations {
  /** Per pod uid: the stop under way and the deadline it kills at. */
  private readonly inFlight = new Map<string, InFlight>();
  /** Pods that are no longer ours, being stopped and removed. */
  private readonly tearingDown = new Set<string>();

  constructor(private readonly options: PodTerminationOptions) {}

  /** Whether containers of pod `uid` are being stopped right now. */
  isStopping(uid: string): boolean {
    return this.inFlight.has(uid);
  }

  /**
   * Level-triggered, for a pod with a deletionTimestamp: starts stopping its
   * running containers in the background (once; again only if a later delete
   * shortened the grace period) and calls `onStopped` when they all have.
   * Answers whether every container of the pod has stopped already.
   */
  sync(pod: Pod, states: readonly ContainerState[], onStopped: () => void): boolean {
    const uid = pod.metadata.uid ?? '';
    const running = states.filter((state) => state.status !== 'exited');
    if (running.length === 0) return !this.inFlight.has(uid);
    const deadline = this.deadlineOf(pod, uid);
    const current = this.inFlight.get(uid);
    if (current && current.deadline <= deadline) return false;
    // First time, or the grace period was shortened (a second delete): a new stop with the earlier deadline.
    // preStop runs once: a shortened grace period only brings SIGKILL forward.
    const done = this.stopContainers(pod, running, deadline, current === undefined).finally(() => {
      if (this.inFlight.get(uid)?.done === done) this.inFlight.delete(uid);
      onStopped();
    });
    this.inFlight.set(uid, { deadline, done });
    return false;
  }

  isTearingDown(uid: string): boolean {
    return this.tearingDown.has(uid);
  }

  /**
   * A pod that is no longer ours: stops its containers (stopOrphans), removes
   * them, then `release` frees the rest (network, files, cgroups); in the
   * background, one at a time per pod. A failure waits for the next pass.
   */
  tearDown(uid: string, states: readonly ContainerState[], release: () => Promise<void>): void {
    if (this.tearingDown.has(uid)) return;
    this.tearingDown.add(uid);
    void (async () => {
      try {
        if (states[0]) await this.stopOrphans(podOf(uid, states[0]), states);
        await Promise.all(states.map((state) => this.options.runtime.remove(state.id)));
        await release();
        this.options.log.info({ pod: uid, containers: states.length }, 'pod torn down');
      } catch (error) {
        // The next periodic pass tries again; no immediate retry loop.
        this.options.log.warn({ err: error, pod: uid }, 'teardown failed; will retry');
      } finally {
        this.tearingDown.delete(uid);
      }
    })();
  }

  /**
   * Stops containers of a pod that is no longer known (only their labels
   * are): SIGTERM, then SIGKILL after the terminationGracePeriodSeconds
   * they were started with. No preStop: the spec that holds it is gone.
   */
  private async stopOrphans(pod: Pod, states: readonly ContainerState[]): Promise<void> {
    const running = states.filter((state) => state.status === 'running');
    const graceSeconds = Number(states[0]?.labels[LABEL.graceSeconds] ?? DEFAULT_GRACE_SECONDS);
    const deadline = this.options.now() + (Number.isFinite(graceSeconds) ? graceSeconds : DEFAULT_GRACE_SECONDS) * 1000;
    await Promise.all(running.map((state) => this.stopOne(pod, undefined, state, deadline, false)));
  }

  private deadlineOf(pod: Pod, uid: string): number {
    const fromNow = this.options.now() + gracePeriodSecondsOf(pod) * 1000;
    // Never later than a stop already under way: grace periods only shrink.
    return Math.min(fromNow, this.inFlight.get(uid)?.deadline ?? Number.POSITIVE_INFINITY);
  }

  private async stopContainers(pod: Pod, running: readonly ContainerState[], deadline: number, withPreStop: boolean): Promise<void> {
    const byName = new Map(pod.spec.containers.map((container) => [container.name, container]));
    const results = await Promise.allSettled(
      running.map((state) => this.stopOne(pod, byName.get(state.labels[LABEL.container] ?? ''), state, deadline, withPreStop)),
    );
    for (const result of results) {
      if (result.status === 'rejected') this.options.log.warn({ err: result.reason, pod: pod.metadata.name }, 'stopping a container failed; will retry');
    }
  }

  private async stopOne(pod: Pod, container: Container | undefined, state: ContainerState, deadline: number, withPreStop: boolean): Promise<void> {
    const name = state.labels[LABEL.container] ?? state.id;
    this.options.events.record(pod, containerEvents.killing(name));
    if (withPreStop && container) await this.runPreStopHook(pod, container, state, deadline);
    const graceMs = Math.max(deadline - this.options.now(), MINIMUM_SIGTERM_GRACE_MS);
    await this.options.runtime.stop(state.id, graceMs, stopSignalOf(state));
  }

  /**
   * The preStop hook point: a no-op for a container without a preStop
   * handler; otherwise the runner's, bounded by the grace period. A failing
   * hook does not keep the container from stopping (kubelet logs it, then
   * sends SIGTERM anyway).
   */
  private async runPreStopHook(pod: Pod, container: Container, state: ContainerState, deadline: number): Promise<void> {
    if (container.lifecycle?.preStop === undefined || state.status !== 'running') return;
    const runner = this.options.preStop;
    if (!runner) {
      this.options.log.warn({ pod: pod.metadata.name, container: container.name }, 'container has a preStop handler but this agent runs no lifecycle handlers; stopping it without');
      return;
    }
    try {
      await runner.preStop(pod, container, state.id, deadline);
    } catch (error) {
      this.options.log.warn({ err: error, pod: pod.metadata.name, container: container.name }, 'preStop hook failed');
    }
  }
}

/** Each container of the pod as its newest attempt left it (and the one before), nothing restarted. */
export function stoppedContainerViews(pod: Pod, states: readonly ContainerState[]): ContainerView[] {
  return pod.spec.containers.map((container) => {
    const mine = states.filter((s) => s.labels[LABEL.container] === container.name).sort((a, b) => attemptOf(a) - attemptOf(b));
    const latest = mine.at(-1);
    return { name: container.name, image: container.image, current: latest, previous: mine.at(-2), restartCount: latest ? attemptOf(latest) : 0 };
  });
}

/** An evicted pod's status once its containers were killed: Failed, reason Evicted, not Ready (kubelet's hard eviction). */
export function evictedPodStatus(pod: Pod, states: readonly ContainerState[], message: string, context: PodStatusContext): PodStatus {
  const built = buildPodStatus(pod, stoppedContainerViews(pod, states), context);
  return {
    ...built,
    phase: 'Failed',
    reason: 'Evicted',
    message,
    conditions: (built.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { type: c.type, status: 'False', reason: 'PodFailed' } : c)),
  };
}

/** The last status of a deleted pod whose containers have stopped: as kubelet since 1.27, a terminal phase — Succeeded only if every container exited 0. */
export function stoppedPodStatus(pod: Pod, states: readonly ContainerState[], context: PodStatusContext): PodStatus {
  const views = stoppedContainerViews(pod, states);
  const succeeded = views.every((view) => view.current?.status === 'exited' && view.current.exitCode === 0);
  const built = buildPodStatus(pod, views, context);
  return {
    ...built,
    phase: succeeded ? 'Succeeded' : 'Failed',
    conditions: (built.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { type: c.type, status: 'False', reason: 'PodCompleted' } : c)),
  };
}

/** The container spec with its image's StopSignal remembered in a label, for whoever stops it later (this agent restarted, too). */
export function withStopSignal(spec: ContainerSpec, stopSignal: NodeJS.Signals | undefined): ContainerSpec {
  return stopSignal ? { ...spec, labels: { ...spec.labels, [LABEL.stopSignal]: stopSignal } } : spec;
}

/** The signal that stops `state`: its image's StopSignal, else SIGTERM. */
function stopSignalOf(state: ContainerState): NodeJS.Signals {
  const signal = state.labels[LABEL.stopSignal];
  return signal !== undefined && /^SIG[A-Z0-9]+$/.test(signal) ? (signal as NodeJS.Signals) : 'SIGTERM';
}

/** The pod a container of a pod that is gone belonged to, from its labels (enough to say what the event is about). */
function podOf(uid: string, state: ContainerState): Pod {
  const namespace = state.labels[LABEL.podNamespace] ?? 'default';
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: state.labels[LABEL.podName] ?? uid, namespace, uid }, spec: { containers: [] } } as unknown as Pod;
}
