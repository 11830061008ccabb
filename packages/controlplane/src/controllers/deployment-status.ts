// What a Deployment's status says, as pure functions after Kubernetes'
// deployment controller (calculateStatus, syncRolloutStatus,
// checkPausedConditions, DeploymentComplete/Progressing/TimedOut): counts
// summed over its ReplicaSets, the Available condition against
// replicas − maxUnavailable, the Progressing condition with its deadline.
import {
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  deploymentCondition,
  PROGRESS_REASONS,
  toTimestamp,
  type Deployment,
  type DeploymentCondition,
  type DeploymentStatus,
  type ReplicaSet,
} from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import { actualReplicas, availableReplicas, maxUnavailable, readyReplicas, specReplicas } from './rollout-arithmetic.js';

type RS = Immutable<ReplicaSet>;
type D = Immutable<Deployment>;

/** Kubernetes treats MaxInt32 as "no deadline". */
const NO_DEADLINE = 2_147_483_647;

export function progressDeadlineSeconds(deployment: D): number | undefined {
  const seconds = deployment.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  return seconds === NO_DEADLINE ? undefined : seconds;
}

export function newCondition(type: DeploymentCondition['type'], status: DeploymentCondition['status'], reason: string, message: string, now: Date): DeploymentCondition {
  const at = toTimestamp(now);
  return { type, status, reason, message, lastUpdateTime: at, lastTransitionTime: at };
}

/**
 * Kubernetes' SetDeploymentCondition: a condition of the same status and
 * reason is left as it is; the same status keeps its lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = deploymentCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status && current.lastTransitionTime !== undefined) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: DeploymentCondition['type']): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

/** Kubernetes' calculateStatus: the counts, and the Available condition; other conditions carried over from `base`. */
export function calculateStatus(deployment: D, allReplicaSets: readonly RS[], newRS: RS | undefined, base: Immutable<DeploymentStatus> | undefined, now: Date): DeploymentStatus {
  const available = availableReplicas(allReplicaSets);
  const status: DeploymentStatus = {
    replicas: actualReplicas(allReplicaSets),
    updatedReplicas: actualReplicas(newRS ? [newRS] : []),
    readyReplicas: readyReplicas(allReplicaSets),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allReplicaSets) - available),
  };
  if (deployment.metadata.generation !== undefined) status.observedGeneration = deployment.metadata.generation;
  if (base?.collisionCount !== undefined) status.collisionCount = base.collisionCount;
  if (base?.conditions) status.conditions = thaw(base.conditions).map((c) => ({ ...c }));
  if (available >= deployment.spec.replicas - maxUnavailable(deployment)) {
    setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** All replicas updated, present and available, and the current spec observed. */
export function deploymentComplete(deployment: D, status: Immutable<DeploymentStatus> | undefined): boolean {
  const replicas = deployment.spec.replicas;
  return (
    status?.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)
  );
}

/** Something moved since the stored status: more updated, ready or available pods, or fewer old ones. */
export function deploymentProgressing(deployment: D, next: DeploymentStatus): boolean {
  const old = deployment.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last updated longer than progressDeadlineSeconds ago (or already says so). */
export function deploymentTimedOut(deployment: D, status: DeploymentStatus, nowMs: number): boolean {
  const deadline = progressDeadlineSeconds(deployment);
  if (deadline === undefined) return false;
  const condition = deploymentCondition(status, 'Progressing');
  if (!condition) return false;
  if (condition.reason === PROGRESS_REASONS.newReplicaSetAvailable) return false;
  if (condition.reason === PROGRESS_REASONS.timedOut) return true;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + deadline * 1000 < nowMs;
}

/**
 * Kubernetes' syncRolloutStatus: the status with the Progressing condition
 * brought up to date — NewReplicaSetAvailable once complete, ReplicaSetUpdated
 * (refreshing lastUpdateTime) on progress, ProgressDeadlineExceeded once the
 * deadline passed without progress.
 */
export function rolloutStatus(deployment: D, allReplicaSets: readonly RS[], newRS: RS | undefined, base: Immutable<DeploymentStatus> | undefined, now: Date): DeploymentStatus {
  const next = calculateStatus(deployment, allReplicaSets, newRS, base, now);
  const hasDeadline = progressDeadlineSeconds(deployment) !== undefined;
  if (!hasDeadline) removeCondition(next, 'Progressing');
  const current = deploymentCondition(base ?? undefined, 'Progressing');
  const alreadyComplete = next.replicas === next.updatedReplicas && current?.reason === PROGRESS_REASONS.newReplicaSetAvailable;
  if (!hasDeadline || alreadyComplete) return next;
  const name = newRS?.metadata.name ?? deployment.metadata.name;
  if (deploymentComplete(deployment, next)) {
    setCondition(next, newCondition('Progressing', 'True', PROGRESS_REASONS.newReplicaSetAvailable, `ReplicaSet "${name}" has successfully progressed.`, now));
  } else if (deploymentProgressing(deployment, next)) {
    const condition = newCondition('Progressing', 'True', PROGRESS_REASONS.replicaSetUpdated, `ReplicaSet "${name}" is progressing.`, now);
    if (current?.status === 'True' && current.lastTransitionTime !== undefined) condition.lastTransitionTime = current.lastTransitionTime;
    removeCondition(next, 'Progressing');
    setCondition(next, condition);
  } else if (deploymentTimedOut(deployment, next, now.getTime())) {
    setCondition(next, newCondition('Progressing', 'False', PROGRESS_REASONS.timedOut, `ReplicaSet "${name}" has timed out progressing.`, now));
  }
  return next;
}

/** Kubernetes' checkPausedConditions: Progressing Unknown with DeploymentPaused / DeploymentResumed (not over a timeout). */
export function withPausedCondition(deployment: D, status: DeploymentStatus, now: Date): void {
  if (progressDeadlineSeconds(deployment) === undefined) return;
  const condition = deploymentCondition(status, 'Progressing');
  if (condition?.reason === PROGRESS_REASONS.timedOut) return;
  const pausedShown = condition?.reason === PROGRESS_REASONS.paused;
  if (deployment.spec.paused === true && !pausedShown) {
    setCondition(status, newCondition('Progressing', 'Unknown', PROGRESS_REASONS.paused, 'Deployment is paused', now));
  } else if (deployment.spec.paused !== true && pausedShown) {
    setCondition(status, newCondition('Progressing', 'Unknown', PROGRESS_REASONS.resumed, 'Deployment is resumed', now));
  }
}

/** When to look again for a rollout that may be stuck (Kubernetes' requeueStuckDeployment); undefined: no need. */
export function stuckRecheckInMs(deployment: D, status: DeploymentStatus, nowMs: number): number | undefined {
  const deadline = progressDeadlineSeconds(deployment);
  const condition = deploymentCondition(status, 'Progressing');
  if (deadline === undefined || !condition || deployment.spec.paused === true) return undefined;
  if (deploymentComplete(deployment, status) || condition.reason === PROGRESS_REASONS.timedOut) return undefined;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return undefined;
  // Timestamps have whole seconds: look just after the deadline has certainly passed.
  return Math.max(0, from + deadline * 1000 - nowMs) + 1000;
}
