// Deleting a pod as Kubernetes' API server does (pkg/registry/core/pod's
// BeforeDelete): a pod running on a node is not removed but marked — its
// deletionTimestamp set to now + the grace period, deletionGracePeriodSeconds
// to that period — and its node's agent stops the containers (preStop,
// SIGTERM, the grace period, SIGKILL) and then removes it. A pod that never
// reached a node, or that has finished, has nothing to stop and goes at once;
// so does a grace period of 0 (`ctl delete --force --grace-period 0`). A second
// delete may shorten a pending grace period, never lengthen it. A pod with
// metadata.finalizers is marked instead of removed, with no grace left, and
// goes when the last finalizer is taken off (object-deletion.ts).
import { ConflictError, isTerminalPod, kindInfo, toTimestamp, type Pod } from '@skiff/api';
import type { ObjectStore } from './object-store.js';
import { describeObject } from './object-keys.js';
import { retryOnConflict } from './retry-on-conflict.js';

const POD = kindInfo('Pod');
/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

export interface PodDeleteOptions {
  /** The request's grace period; absent: the pod's terminationGracePeriodSeconds. 0 removes the pod at once. */
  readonly gracePeriodSeconds?: number;
  /** Delete only this incarnation of the pod (kubelet's UID precondition). */
  readonly uid?: string;
  /** Delete only this version (a request's resourceVersion precondition). */
  readonly expectedRevision?: number;
}

export type PodDeletionPlan =
  | { readonly op: 'remove' }
  /** Mark (or re-mark with a shorter grace period): write this version. */
  | { readonly op: 'mark'; readonly pod: Pod }
  /** Already terminating with a grace period no longer than asked: nothing to write. */
  | { readonly op: 'none' };

/** What deleting `pod` with `gracePeriodSeconds` (absent: the pod's own) means at `now`. */
export function planPodDeletion(pod: Pod, gracePeriodSeconds: number | undefined, now: Date): PodDeletionPlan {
  const requested = gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
  // Nothing runs for an unbound or finished pod: no agent would ever confirm, so it goes now (as BeforeDelete sets grace 0).
  const grace = !pod.spec.nodeName || isTerminalPod(pod) ? 0 : Math.max(0, Math.floor(requested));
  const pending = pod.metadata.deletionGracePeriodSeconds;
  if (grace === 0) {
    if ((pod.metadata.finalizers ?? []).length === 0) return { op: 'remove' };
    // Finalizers keep it (object-deletion.ts): marked with no grace left, removed when the last one is taken off.
    if (pod.metadata.deletionTimestamp !== undefined && pending === 0) return { op: 'none' };
    return { op: 'mark', pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: pod.metadata.deletionTimestamp ?? toTimestamp(now), deletionGracePeriodSeconds: 0 } } };
  }
  if (pod.metadata.deletionTimestamp !== undefined && pending !== undefined && pending <= grace) return { op: 'none' };
  const deadline = new Date(now.getTime() + grace * 1000);
  return {
    op: 'mark',
    pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: toTimestamp(deadline), deletionGracePeriodSeconds: grace } },
  };
}

export interface PodDeletion {
  /** The pod as stored after the request: the marked version, or the last one before removal. */
  readonly pod: Pod;
  /** Whether the object is gone (true) or terminating on its node (false). */
  readonly removed: boolean;
}

/** Deletes (or marks for graceful deletion) pod `namespace/name`, with compare-and-swap; throws NotFoundError when it is gone, ConflictError when a precondition fails. */
export async function deletePod(
  objects: ObjectStore,
  namespace: string,
  name: string,
  options: PodDeleteOptions = {},
  clock: () => Date = () => new Date(),
): Promise<PodDeletion> {
  const attempt = async (): Promise<PodDeletion> => {
    const pod = await objects.mustGet<Pod>(POD, namespace, name);
    const what = describeObject(POD, namespace, name);
    if (options.uid !== undefined && pod.metadata.uid !== options.uid) {
      throw new ConflictError(`Precondition failed on ${what}: UID in precondition: ${options.uid}, UID in object meta: ${pod.metadata.uid ?? ''}`);
    }
    const revision = Number(pod.metadata.resourceVersion);
    if (options.expectedRevision !== undefined && revision !== options.expectedRevision) {
      throw new ConflictError(`Operation cannot be fulfilled on ${what}: resourceVersion ${options.expectedRevision} is stale (current is ${revision})`, revision);
    }
    const plan = planPodDeletion(pod, options.gracePeriodSeconds, clock());
    if (plan.op === 'none') return { pod, removed: false };
    if (plan.op === 'mark') return { pod: await objects.update(POD, plan.pod, revision), removed: false };
    await objects.delete(POD, namespace, name, revision);
    return { pod, removed: true };
  };
  // A named version or incarnation is the caller's precondition: losing it is their conflict.
  if (options.expectedRevision !== undefined) return attempt();
  return retryOnConflict(async () => {
    try {
      return await attempt();
    } catch (error) {
      // A uid precondition that no longer holds is final, not a lost race.
      if (error instanceof ConflictError && error.message.startsWith('Precondition failed')) throw new PreconditionFailed(error.message);
      throw error;
    }
  }).catch((error: unknown) => {
    if (error instanceof PreconditionFailed) throw new ConflictError(error.message);
    throw error;
  });
}

/** Carries a failed uid precondition out of retryOnConflict, which retries every ConflictError. */
class PreconditionFailed extends Error {}
