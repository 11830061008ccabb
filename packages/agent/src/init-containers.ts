// Init containers, as kubelet runs them: one at a time, in the order of
// spec.initContainers, each until it exits 0, before any app container
// starts. One that fails is restarted with the usual back-off
// (Init:CrashLoopBackOff) unless the pod's restartPolicy is Never — then the
// pod has Failed and its app containers never run. Once they have all
// succeeded, the pod is Initialized for good: they are not run again, even if
// their records are gone, once an app container has started.
//
// Pure functions: the reconciler asks what to do next (initProgress) and adds
// what the pod's status says about them (withInitStatus).
import type { Container, ContainerStatus, Pod, PodCondition, PodStatus, RestartPolicy } from '@skiff/api/core';
import { attemptOf } from './container-labels.js';
import type { ContainerView } from './pod-status.js';
import type { ContainerState } from './runtime/runtime.js';

export type InitProgress =
  /** Every init container succeeded (or none is declared): app containers may run. */
  | { readonly kind: 'initialized' }
  /** Init container `index` is the one to start, wait for, or restart. */
  | { readonly kind: 'running'; readonly index: number }
  /** Init container `index` failed and restartPolicy Never means it stays failed: so does the pod. */
  | { readonly kind: 'failed'; readonly index: number };

/** An init container is restarted only after a failure: Always means OnFailure for it (a success is final). */
export function initRestartPolicy(pod: Pod): RestartPolicy {
  return pod.spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
}

/**
 * Where the pod stands: `latest` gives a container's newest attempt by name,
 * `appStarted` whether any app container was ever started (then the pod was
 * initialized before, whatever the init containers' records say now).
 */
export function initProgress(pod: Pod, latest: (name: string) => ContainerState | undefined, appStarted: boolean): InitProgress {
  const inits = pod.spec.initContainers ?? [];
  if (inits.length === 0 || appStarted) return { kind: 'initialized' };
  for (const [index, container] of inits.entries()) {
    const state = latest(container.name);
    if (state?.status === 'exited' && state.exitCode === 0) continue;
    if (state?.status === 'exited' && initRestartPolicy(pod) === 'Never') return { kind: 'failed', index };
    return { kind: 'running', index };
  }
  return { kind: 'initialized' };
}

/** An init container or app container not started yet because init containers come first (kubelet's PodInitializing). */
export function initializingView(container: Container, attempts: readonly ContainerState[]): ContainerView {
  const current = attempts.at(-1);
  return {
    name: container.name,
    image: container.image,
    ...(current ? { current } : {}),
    ...(attempts.at(-2) ? { previous: attempts.at(-2) } : {}),
    restartCount: current ? attemptOf(current) : 0,
    ...(current ? {} : { waiting: { reason: 'PodInitializing' } }),
  };
}

/**
 * The pod's status with its init containers: initContainerStatuses (a
 * container that exited 0 counts as ready, as kubelet reports it), the
 * Initialized condition, and the phase — Pending while they run, Failed when
 * one failed for good.
 */
export function withInitStatus(
  pod: Pod,
  status: PodStatus,
  progress: InitProgress,
  initStatuses: readonly ContainerStatus[],
): PodStatus {
  if ((pod.spec.initContainers ?? []).length === 0) return status;
  const statuses = initStatuses.map((s) => ({ ...s, ready: s.state.terminated?.exitCode === 0 }));
  const incomplete = statuses.filter((s) => !s.ready).map((s) => s.name);
  const initialized: PodCondition =
    progress.kind === 'initialized'
      ? { type: 'Initialized', status: 'True' }
      : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
  const conditions = [initialized, ...(status.conditions ?? []).filter((c) => c.type !== 'Initialized')];
  const phase = progress.kind === 'failed' ? 'Failed' : progress.kind === 'running' ? 'Pending' : status.phase;
  return { ...status, phase, conditions, initContainerStatuses: statuses };
}
