// A container's lifecycle hooks, in one place with a narrow face:
//   - postStart(pod, container, state, podIP): right after the container
//     started, in the background (a pass of the reconciler does not wait for
//     it); until it returns the container is "starting" (probes wait, it is not
//     ready). If it fails: a FailedPostStartHook event, and the container is
//     killed (Killing "FailedPostStartHook"); it restarts per restartPolicy.
//   - stopContainer(pod, container, state, graceMs, podIP?): how a container of
//     a pod that still has its spec is stopped: preStop first, within the grace
//     period (a failure is a FailedPreStopHook event, and the stop goes on),
//     then SIGTERM with what is left of the grace period (at least 2 s, as
//     kubelet's minimumGracePeriodInSeconds), then SIGKILL. Liveness and
//     startup kills use it; so can the deletion path.
import type { Container, Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { Clock } from '../credentials/certificate-renewer.js';
import type { PodEventSink } from '../events/pod-events.js';
import type { ContainerState, Runtime } from '../runtime/runtime.js';
import { hookFailureMessage, runHookHandler } from './hook-handler.js';

/** kubelet's floor for what is left of the grace period after preStop. */
export const MIN_GRACE_AFTER_PRESTOP_MS = 2_000;

export interface ContainerLifecycleOptions {
  readonly runtime: Pick<Runtime, 'exec' | 'stop'>;
  readonly events: PodEventSink;
  readonly clock: Clock;
  /** Something changed the reconciler should look at (a postStart ended, a container was killed). */
  readonly onChange: () => void;
  readonly log: Logger;
}

/** What the reconciler and the probes need of the hooks. */
export interface ContainerHooks {
  postStart(pod: Pod, container: Container, state: ContainerState, podIP: string | undefined): void;
  isStarting(containerId: string): boolean;
  stopContainer(pod: Pod, container: Container | undefined, state: ContainerState, graceMs: number, podIP?: string): Promise<ContainerState>;
}

export class ContainerLifecycle implements ContainerHooks {
  private readonly starting = new Set<string>();

  constructor(private readonly options: ContainerLifecycleOptions) {}

  postStart(pod: Pod, container: Container, state: ContainerState, podIP: string | undefined): void {
    const handler = container.lifecycle?.postStart;
    if (!handler || state.status !== 'running') return;
    this.starting.add(state.id);
    void (async () => {
      try {
        const outcome = await runHookHandler(handler, this.target(pod, container, state, podIP), undefined, this.options.runtime, this.options.clock);
        if (outcome.ok) return;
        const message = hookFailureMessage(handler, pod, container, outcome);
        this.options.log.warn({ container: state.id, message }, 'postStart hook failed');
        this.options.events.record(pod, { type: 'Warning', reason: 'FailedPostStartHook', message, fieldPath: `spec.containers{${container.name}}` });
        this.options.events.record(pod, { type: 'Normal', reason: 'Killing', message: 'FailedPostStartHook', fieldPath: `spec.containers{${container.name}}` });
        await this.stopContainer(pod, container, state, graceOf(pod), podIP);
      } catch (error) {
        this.options.log.warn({ err: error, container: state.id }, 'postStart hook could not be run to its end');
      } finally {
        this.starting.delete(state.id);
        this.options.onChange();
      }
    })();
  }

  isStarting(containerId: string): boolean {
    return this.starting.has(containerId);
  }

  async stopContainer(pod: Pod, container: Container | undefined, state: ContainerState, graceMs: number, podIP?: string): Promise<ContainerState> {
    let remaining = graceMs;
    if (container?.lifecycle?.preStop && state.status === 'running' && graceMs > 0) {
      const began = this.options.clock.now();
      await this.preStop(pod, container, state.id, began + graceMs, podIP);
      remaining = Math.max(graceMs - (this.options.clock.now() - began), MIN_GRACE_AFTER_PRESTOP_MS);
    }
    return this.options.runtime.stop(state.id, remaining);
  }

  /**
   * The container's preStop handler, if it has one, bounded by `deadline` (ms
   * since the epoch): a failure is a FailedPreStopHook event, never a throw —
   * the stop goes on either way. The deletion path (pod-termination.ts) calls
   * it as its PreStopRunner, then sends the image's stop signal itself.
   */
  async preStop(pod: Pod, container: Container, containerId: string, deadline: number, podIP?: string): Promise<void> {
    const handler = container.lifecycle?.preStop;
    const limitMs = deadline - this.options.clock.now();
    if (!handler || limitMs <= 0) return;
    const outcome = await runHookHandler(handler, this.target(pod, container, { id: containerId }, podIP), limitMs, this.options.runtime, this.options.clock);
    if (outcome.ok) return;
    const message = hookFailureMessage(handler, pod, container, outcome);
    this.options.log.warn({ container: containerId, message }, 'preStop hook failed');
    this.options.events.record(pod, { type: 'Warning', reason: 'FailedPreStopHook', message, fieldPath: `spec.containers{${container.name}}` });
  }

  private target(pod: Pod, container: Container, state: Pick<ContainerState, 'id'>, podIP: string | undefined) {
    return { containerId: state.id, podIP: podIP ?? pod.status?.podIP ?? '', ports: container.ports ?? [] };
  }
}

/** The pod's terminationGracePeriodSeconds, in ms (Kubernetes' 30 s when unset). */
export function graceOf(pod: Pod): number {
  return (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
}
