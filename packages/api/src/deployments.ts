// What ctl and the control plane both need to know about Deployments and
// their ReplicaSets: the annotation and label names Kubernetes uses, the
// revision of a ReplicaSet, and kubectl's reading of a rollout's status.
import type { PodTemplateSpec } from './types.js';
import type { Deployment, DeploymentCondition, ReplicaSet } from './workload-types.js';

/** Label on every ReplicaSet a Deployment creates and on its pods: which version of the template they run. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** The rollout's number on a Deployment and on each of its ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Earlier revisions a ReplicaSet was reused for (a rollback to its template). */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** spec.replicas of the Deployment when it last sized the ReplicaSet. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** spec.replicas + maxSurge of the Deployment when it last sized the ReplicaSet. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** What `rollout restart` puts in the pod template, so that the template (and its hash) changes. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** The free text `rollout history` shows. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** Reasons of the Progressing condition, as Kubernetes spells them. */
export const PROGRESS_REASONS = {
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  failedCreate: 'ReplicaSetCreateError',
} as const;

/** The revision number an object's annotation carries (0 when absent or not a number). */
export function revisionOf(object: { readonly metadata: { readonly annotations?: Readonly<Record<string, string>> | undefined } }): number {
  const text = object.metadata.annotations?.[REVISION_ANNOTATION];
  const value = text === undefined ? NaN : Number(text);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

export function deploymentCondition(
  status: { readonly conditions?: readonly DeploymentCondition[] | undefined } | undefined,
  type: DeploymentCondition['type'],
): DeploymentCondition | undefined {
  return status?.conditions?.find((condition) => condition.type === type);
}

/** The template without the pod-template-hash label: what two templates are compared on. */
export function templateWithoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

/** The ReplicaSets `deployment` controls (by uid), newest revision first. */
export function ownedReplicaSets(deployment: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet[] {
  return replicaSets
    .filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === deployment.metadata.uid))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
}

export interface RolloutStatus {
  readonly message: string;
  readonly done: boolean;
  /** Set when the rollout can no longer finish by itself (its progress deadline passed). */
  readonly error?: string;
}

/** kubectl's DeploymentStatusViewer: the line `rollout status` prints, and whether the rollout is done. */
export function rolloutStatus(deployment: Deployment): RolloutStatus {
  const name = deployment.metadata.name;
  const status = deployment.status ?? {};
  if ((deployment.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false };
  }
  if (deploymentCondition(status, 'Progressing')?.reason === PROGRESS_REASONS.timedOut) {
    return { message: '', done: false, error: `deployment ${JSON.stringify(name)} exceeded its progress deadline` };
  }
  const replicas = deployment.spec.replicas;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < replicas) {
    return { message: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`, done: false };
  }
  if (total > updated) {
    return { message: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${total - updated} old replicas are pending termination...`, done: false };
  }
  if (available < updated) {
    return { message: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false };
  }
  return { message: `deployment ${JSON.stringify(name)} successfully rolled out`, done: true };
}
