// A pod's status from what the runtime says about its containers: phase,
// Ready condition, and per-container state with restart counts — computed as a
// pure function so the rules are easy to test.
import { podQosClass, type ContainerStatus, type Pod, type PodCondition, type PodPhase, type PodStatus, type RestartPolicy } from '@skiff/api/core';
import type { ContainerState } from './runtime/runtime.js';

/** What the agent knows about one container of the pod. */
export interface ContainerView {
  readonly name: string;
  readonly image: string;
  /** The newest attempt, if any was started. */
  readonly current?: ContainerState;
  /** The attempt before it, for lastState. */
  readonly previous?: ContainerState;
  readonly restartCount: number;
  /** Why it is not running now (ContainerCreating, ErrImagePull, CrashLoopBackOff…). */
  readonly waiting?: { readonly reason: string; readonly message?: string };
  /** The probes' word (probes/probe-manager.ts): readiness, and whether the startup probe succeeded; absent, running means both. */
  readonly ready?: boolean;
  readonly started?: boolean;
}

export interface PodStatusContext {
  readonly hostIP: string;
  readonly podIP?: string;
  readonly startTime: string;
}

export function buildPodStatus(pod: Pod, views: readonly ContainerView[], context: PodStatusContext): PodStatus {
  const containerStatuses = views.map(containerStatus);
  const phase = podPhase(pod.spec.restartPolicy, views);
  const status: PodStatus = {
    phase,
    conditions: [
      // Keep the scheduler's condition (it carries the bind time).
      pod.status?.conditions?.find((c) => c.type === 'PodScheduled') ?? { type: 'PodScheduled', status: 'True' },
      readyCondition('Ready', containerStatuses),
      readyCondition('ContainersReady', containerStatuses),
    ],
    hostIP: context.hostIP,
    startTime: context.startTime,
    containerStatuses,
    qosClass: podQosClass(pod),
  };
  if (context.podIP) status.podIP = context.podIP;
  return status;
}

/**
 * The conditions with kubelet's lastTransitionTime: kept from the last
 * reported status while a condition's status is unchanged, `now` when it
 * changed or is new. (The HPA's CPU start-up rule reads when Ready changed.)
 */
export function withTransitionTimes(last: PodStatus | undefined, next: PodStatus, now: string): PodStatus {
  if (!next.conditions) return next;
  const conditions = next.conditions.map((condition) => {
    const before = last?.conditions?.find((c) => c.type === condition.type);
    const since = before?.status === condition.status ? (before.lastTransitionTime ?? condition.lastTransitionTime) : condition.lastTransitionTime;
    return { ...condition, lastTransitionTime: since ?? now };
  });
  return { ...next, conditions };
}

/** Ready and ContainersReady: every container ready (kubelet's reason and message otherwise). */
function readyCondition(type: 'Ready' | 'ContainersReady', statuses: readonly ContainerStatus[]): PodCondition {
  const unready = statuses.filter((c) => !c.ready).map((c) => c.name);
  if (statuses.length > 0 && unready.length === 0) return { type, status: 'True' };
  return { type, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
}

export function containerStatus(view: ContainerView): ContainerStatus {
  const running = view.waiting === undefined && view.current?.status === 'running';
  const status: ContainerStatus = {
    name: view.name,
    ready: running && (view.ready ?? true),
    restartCount: view.restartCount,
    ...(view.started === undefined ? {} : { started: running && view.started }),
    state: view.waiting ? { waiting: { ...view.waiting } } : stateOf(view.current),
  };
  if (view.current) status.containerID = `${view.current.id}`;
  const last = view.waiting && view.current?.status === 'exited' ? view.current : view.previous;
  if (last?.status === 'exited') status.lastState = stateOf(last);
  return status;
}

function stateOf(state: ContainerState | undefined): ContainerStatus['state'] {
  if (!state) return { waiting: { reason: 'ContainerCreating' } };
  if (state.status === 'running') return { running: { startedAt: state.startedAt ?? new Date().toISOString() } };
  if (state.status === 'exited') {
    const terminated: NonNullable<ContainerStatus['state']['terminated']> = {
      exitCode: state.exitCode ?? -1,
      reason: state.oomKilled ? 'OOMKilled' : state.exitCode === 0 ? 'Completed' : 'Error',
    };
    if (state.startedAt) terminated.startedAt = state.startedAt;
    if (state.finishedAt) terminated.finishedAt = state.finishedAt;
    return { terminated };
  }
  return { waiting: { reason: 'Unknown', message: 'the runtime cannot tell this container\'s state' } };
}

export function willRestart(policy: RestartPolicy, state: ContainerState): boolean {
  if (state.status !== 'exited') return false;
  return policy === 'Always' || (policy === 'OnFailure' && state.exitCode !== 0);
}

function podPhase(policy: RestartPolicy, views: readonly ContainerView[]): PodPhase {
  if (views.some((v) => v.current?.status === 'running')) return 'Running';
  const finished = views.every((v) => v.current?.status === 'exited' && !willRestart(policy, v.current));
  if (finished && views.length > 0) {
    return views.every((v) => v.current?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  // Restarting after a crash still counts as Running, as in Kubernetes.
  if (views.some((v) => v.restartCount > 0 || v.current?.status === 'exited')) return 'Running';
  return 'Pending';
}
