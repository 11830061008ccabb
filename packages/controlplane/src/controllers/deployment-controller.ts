// Deployment → ReplicaSets, as Kubernetes' deployment controller: one
// ReplicaSet per template (named and labelled by its pod-template-hash,
// numbered by the revision annotation), sized by the strategy — RollingUpdate
// within maxSurge/maxUnavailable, gated on the ReplicaSets' available counts
// (readiness held for minReadySeconds), or Recreate — or just resized while
// paused or when spec.replicas changes mid-rollout. Old ReplicaSets beyond
// revisionHistoryLimit are deleted. The status sums the ReplicaSets and
// carries the Available and Progressing conditions (ProgressDeadlineExceeded
// once progressDeadlineSeconds pass without progress, on the injected clock).
//
// sync(key) reads only the caches (never mutating them), decides one step,
// writes it with compare-and-swap, and lets the resulting events bring it
// back; a lost race is thrown and retried with per-key back-off.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  AlreadyExistsError,
  ConflictError,
  deploymentCondition,
  kindInfo,
  NotFoundError,
  PROGRESS_REASONS,
  REVISION_ANNOTATION,
  revisionOf,
  type Deployment,
  type DeploymentStatus,
  type Pod,
  type ReplicaSet,
} from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import { buildReplicaSet, findNewReplicaSet, maxRevision, setNewReplicaSetAnnotations, setReplicasAnnotations } from './deployment-replica-sets.js';
import { calculateStatus, deploymentComplete, newCondition, progressDeadlineSeconds, rolloutStatus, setCondition, stuckRecheckInMs, withPausedCondition } from './deployment-status.js';
import { migrateLegacyPods } from './legacy-pod-migration.js';
import { computeTemplateHash, equalIgnoringHash } from './pod-template-hash.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { appsControllerRef, CONTROLLER_UID_INDEX, ensureControllerUidIndex } from './replica-set-pods.js';
import {
  activeReplicaSets,
  actualReplicas,
  desiredReplicasAnnotation,
  isRollingUpdate,
  isScalingEvent,
  maxSurge,
  newRSNewReplicas,
  planOldScaleDown,
  planScale,
  replicaSetsToPrune,
  type ScalePlan,
} from './rollout-arithmetic.js';

const DEPLOYMENT = kindInfo('Deployment');
const REPLICA_SET = kindInfo('ReplicaSet');
/** Status writes that lose a compare-and-swap re-read and try again this often before the sync fails. */
const STATUS_ATTEMPTS = 5;

type RS = Immutable<ReplicaSet>;

export interface DeploymentControllerOptions extends QueueControllerOptions {
  readonly deployments: Informer<Deployment>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  /** Injected for tests: the progress deadline is measured on it. */
  readonly now?: () => number;
}

/** What one sync has learnt and changed so far. */
interface SyncState {
  readonly deployment: Immutable<Deployment>;
  /** The Deployment's ReplicaSets, replaced by what this sync wrote. */
  replicaSets: RS[];
  /** The status being built (conditions set along the way). */
  readonly status: DeploymentStatus;
  /** The revision the Deployment's annotation should carry. */
  revision?: number;
  readonly now: Date;
}

export class DeploymentController extends QueueController {
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly now: () => number;

  constructor(options: DeploymentControllerOptions) {
    super('deployment', options, [options.deployments, options.replicaSets, options.pods]);
    this.deployments = options.deployments;
    this.replicaSets = options.replicaSets;
    this.pods = options.pods;
    this.now = options.now ?? Date.now;
    ensureControllerUidIndex(this.replicaSets);
    ensureControllerUidIndex(this.pods);
  }

  protected registerHandlers(): void {
    const enqueue = (deployment: Immutable<Deployment>): void => this.queue.add(keyOf(deployment));
    this.deployments.addHandlers({ onAdd: enqueue, onUpdate: (_previous, current) => enqueue(current), onDelete: enqueue });
    const enqueueOwner = (object: Immutable<ReplicaSet> | Immutable<Pod>): void => {
      const ref = appsControllerRef(object, 'Deployment');
      if (ref) this.queue.add(`${object.metadata.namespace ?? 'default'}/${ref.name}`);
    };
    this.replicaSets.addHandlers({
      onAdd: enqueueOwner,
      onUpdate: (previous, current) => {
        enqueueOwner(current);
        if (appsControllerRef(previous, 'Deployment')?.uid !== appsControllerRef(current, 'Deployment')?.uid) enqueueOwner(previous);
      },
      onDelete: enqueueOwner,
    });
    // Pods matter directly for Recreate (new pods wait until the old are gone)
    // and for pods an older Skiff made the Deployment own (legacy-pod-migration.ts).
    const enqueueForPod = (pod: Immutable<Pod>): void => {
      enqueueOwner(pod);
      const rsRef = appsControllerRef(pod, 'ReplicaSet');
      const rs = rsRef ? this.replicaSets.get(`${pod.metadata.namespace ?? 'default'}/${rsRef.name}`) : undefined;
      if (rs) enqueueOwner(rs);
    };
    this.pods.addHandlers({
      onAdd: (pod) => enqueueOwner(pod),
      onUpdate: (_previous, current) => enqueueOwner(current),
      onDelete: enqueueForPod,
    });
  }

  async sync(key: string): Promise<void> {
    const deployment = this.deployments.get(key);
    const uid = deployment?.metadata.uid;
    if (!deployment || !uid) return; // deleted: its ReplicaSets are the garbage collector's
    const namespace = deployment.metadata.namespace ?? 'default';
    const inNamespace = (object: { readonly metadata: { readonly namespace?: string | undefined } }): boolean =>
      (object.metadata.namespace ?? 'default') === namespace;
    const state: SyncState = {
      deployment,
      replicaSets: this.replicaSets.byIndex(CONTROLLER_UID_INDEX, uid).filter((rs) => inNamespace(rs) && appsControllerRef(rs, 'Deployment')),
      status: thaw<DeploymentStatus>(deployment.status ?? {}),
      now: new Date(this.now()),
    };
    const newRS = findNewReplicaSet(deployment, state.replicaSets);
    if (newRS) state.revision = revisionOf(newRS);

    if (deployment.metadata.deletionTimestamp !== undefined) {
      await this.writeDeployment(state, calculateStatus(deployment, state.replicaSets, newRS, state.status, state.now));
      return;
    }
    const legacy = this.pods.byIndex(CONTROLLER_UID_INDEX, uid).filter((pod) => inNamespace(pod) && appsControllerRef(pod, 'Deployment'));
    if (legacy.length > 0) {
      await migrateLegacyPods(this.objects, deployment, legacy, computeTemplateHash(deployment.spec.template, deployment.status?.collisionCount), this.log);
      return; // the pod events bring the Deployment back, without them
    }
    withPausedCondition(deployment, state.status, state.now);
    if (deployment.spec.paused === true || isScalingEvent(deployment, state.replicaSets)) await this.syncScale(state);
    else if (isRollingUpdate(deployment)) await this.rolloutRolling(state);
    else await this.rolloutRecreate(state);
  }

  /** Kubernetes' sync(): resize without rolling (paused, or spec.replicas changed mid-rollout). */
  private async syncScale(state: SyncState): Promise<void> {
    const { deployment } = state;
    const newRS = await this.getNewReplicaSet(state, false);
    const olds = state.replicaSets.filter((rs) => rs !== newRS);
    const plan = planScale(deployment, newRS, olds);
    if (plan.size === 0) {
      // Sizes are right; refresh stale desired-replicas annotations, or this would stay a "scaling event".
      for (const rs of activeReplicaSets(state.replicaSets)) {
        if (desiredReplicasAnnotation(rs) !== deployment.spec.replicas) plan.set(rs.metadata.name, rs.spec.replicas);
      }
    }
    await this.applyPlan(state, plan);
    if (deployment.spec.paused === true) await this.cleanup(state, newRS);
    const current = this.current(state, newRS);
    await this.writeDeployment(state, calculateStatus(deployment, state.replicaSets, current, state.status, state.now));
  }

  /** Kubernetes' rolloutRolling: grow the new ReplicaSet within maxSurge, then shrink old ones within maxUnavailable. */
  private async rolloutRolling(state: SyncState): Promise<void> {
    const { deployment } = state;
    let newRS = await this.getNewReplicaSet(state, true);
    if (!newRS) throw new Error('no new replica set'); // getNewReplicaSet(…, true) creates it or throws
    const replicas = deployment.spec.replicas;
    if (newRS.spec.replicas !== replicas) {
      const target = newRS.spec.replicas > replicas ? replicas : newRSNewReplicas(deployment, state.replicaSets, newRS);
      const scaled = await this.scaleReplicaSet(state, newRS, target);
      newRS = this.current(state, newRS);
      if (scaled) return this.finishRollout(state, newRS);
    }
    const olds = state.replicaSets.filter((rs) => rs !== newRS);
    const plan = planOldScaleDown(deployment, activeReplicaSets(olds), newRS);
    if (plan.size > 0) {
      await this.applyPlan(state, plan);
      return this.finishRollout(state, this.current(state, newRS));
    }
    if (deploymentComplete(deployment, deployment.status)) await this.cleanup(state, newRS);
    return this.finishRollout(state, newRS);
  }

  /** Kubernetes' rolloutRecreate: all old ReplicaSets to 0, wait for their pods to go, then the new one at full size. */
  private async rolloutRecreate(state: SyncState): Promise<void> {
    const { deployment } = state;
    let newRS = await this.getNewReplicaSet(state, false);
    const olds = state.replicaSets.filter((rs) => rs !== newRS);
    const plan: ScalePlan = new Map(activeReplicaSets(olds).map((rs) => [rs.metadata.name, 0]));
    if (await this.applyPlan(state, plan)) return this.finishRollout(state, newRS);
    if (this.oldPodsRunning(newRS, olds)) return this.finishRollout(state, newRS);
    newRS ??= await this.getNewReplicaSet(state, true);
    if (newRS) {
      await this.scaleReplicaSet(state, newRS, deployment.spec.replicas);
      newRS = this.current(state, newRS);
    }
    if (deploymentComplete(deployment, deployment.status)) await this.cleanup(state, newRS);
    return this.finishRollout(state, newRS);
  }

  private oldPodsRunning(newRS: RS | undefined, olds: readonly RS[]): boolean {
    if (actualReplicas(olds) > 0) return true;
    return olds.some((rs) =>
      this.pods.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid ?? '').some((pod) => {
        if (newRS && appsControllerRef(pod, 'ReplicaSet')?.uid === newRS.metadata.uid) return false;
        return pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded';
      }),
    );
  }

  private async finishRollout(state: SyncState, newRS: RS | undefined): Promise<void> {
    const status = rolloutStatus(state.deployment, state.replicaSets, newRS, state.status, state.now);
    await this.writeDeployment(state, status);
    const recheck = stuckRecheckInMs(state.deployment, status, state.now.getTime());
    if (recheck !== undefined) this.queue.addAfter(keyOf(state.deployment), recheck);
  }

  /**
   * Kubernetes' getNewReplicaSet: the ReplicaSet of the current template with
   * its annotations brought up to date, or (if `create`) a new one, sized by
   * newRSNewReplicas. A name taken by another template bumps collisionCount.
   */
  private async getNewReplicaSet(state: SyncState, create: boolean): Promise<RS | undefined> {
    const { deployment, now } = state;
    const existing = findNewReplicaSet(deployment, state.replicaSets);
    const olds = state.replicaSets.filter((rs) => rs !== existing);
    const newRevision = maxRevision(olds) + 1;
    const hasDeadline = progressDeadlineSeconds(deployment) !== undefined;
    if (existing) {
      const copy = thaw<ReplicaSet>(existing);
      const annotations = { ...copy.metadata.annotations };
      const annotationsChanged = setNewReplicaSetAnnotations(deployment, annotations, newRevision, true);
      const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (deployment.spec.minReadySeconds ?? 0);
      let current: RS = existing;
      if (annotationsChanged || minReadyChanged) {
        const spec = { ...copy.spec };
        if (deployment.spec.minReadySeconds !== undefined) spec.minReadySeconds = deployment.spec.minReadySeconds;
        else delete spec.minReadySeconds;
        const generation = (copy.metadata.generation ?? 1) + (minReadyChanged ? 1 : 0);
        current = await this.objects.update(REPLICA_SET, { ...copy, metadata: { ...copy.metadata, annotations, generation }, spec }, Number(copy.metadata.resourceVersion));
        this.replace(state, current);
      }
      state.revision = revisionOf(current);
      if (hasDeadline && !deploymentCondition(state.status, 'Progressing')) {
        setCondition(state.status, newCondition('Progressing', 'True', PROGRESS_REASONS.foundNewReplicaSet, `Found new replica set "${current.metadata.name}"`, now));
      }
      return current;
    }
    if (!create) return undefined;

    const hash = computeTemplateHash(deployment.spec.template, deployment.status?.collisionCount);
    const draft = buildReplicaSet(deployment, hash, 0, newRevision, randomUUID(), now);
    draft.spec.replicas = newRSNewReplicas(deployment, [...olds, draft], draft);
    let created: RS;
    let alreadyExisted = false;
    try {
      created = await this.objects.create(REPLICA_SET, draft);
      this.log.info({ controller: this.name, deployment: keyOf(deployment), replicaSet: draft.metadata.name, replicas: draft.spec.replicas }, 'created replica set');
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) {
        if (hasDeadline) {
          setCondition(state.status, newCondition('Progressing', 'False', PROGRESS_REASONS.failedCreate, `Failed to create new replica set "${draft.metadata.name}": ${String(error)}`, now));
          await this.writeDeployment(state, state.status);
        }
        throw error;
      }
      const found = await this.objects.get<ReplicaSet>(REPLICA_SET, draft.metadata.namespace, draft.metadata.name);
      if (!found || appsControllerRef(found, 'Deployment')?.uid !== deployment.metadata.uid || !equalIgnoringHash(found.spec.template, deployment.spec.template)) {
        // Another template holds this hash: a collision. The next hash differs.
        state.status.collisionCount = (state.status.collisionCount ?? 0) + 1;
        await this.writeDeployment(state, state.status);
        throw error;
      }
      created = found;
      alreadyExisted = true;
    }
    state.replicaSets = [...state.replicaSets.filter((rs) => rs.metadata.name !== created.metadata.name), created];
    state.revision = newRevision;
    if (!alreadyExisted && hasDeadline) {
      setCondition(state.status, newCondition('Progressing', 'True', PROGRESS_REASONS.newReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, now));
    }
    return created;
  }

  /** Sets spec.replicas (and the size annotations); true when the size changed. A lost race throws. */
  private async scaleReplicaSet(state: SyncState, rs: RS, size: number): Promise<boolean> {
    const { deployment } = state;
    const copy = thaw<ReplicaSet>(rs);
    const annotations = { ...copy.metadata.annotations };
    const annotationsChanged = setReplicasAnnotations(annotations, deployment.spec.replicas, deployment.spec.replicas + maxSurge(deployment));
    const sizeChanged = copy.spec.replicas !== size;
    if (!sizeChanged && !annotationsChanged) return false;
    const generation = (copy.metadata.generation ?? 1) + (sizeChanged ? 1 : 0);
    const written = await this.objects.update(
      REPLICA_SET,
      { ...copy, metadata: { ...copy.metadata, annotations, generation }, spec: { ...copy.spec, replicas: size } },
      Number(copy.metadata.resourceVersion),
    );
    this.replace(state, written);
    if (sizeChanged) {
      this.log.info({ controller: this.name, deployment: keyOf(deployment), replicaSet: rs.metadata.name, from: rs.spec.replicas, to: size }, 'scaled replica set');
    }
    return sizeChanged;
  }

  /** Applies a plan one ReplicaSet at a time; true when some size changed. */
  private async applyPlan(state: SyncState, plan: ScalePlan): Promise<boolean> {
    let scaled = false;
    for (const [name, size] of plan) {
      const rs = state.replicaSets.find((r) => r.metadata.name === name);
      if (rs && (await this.scaleReplicaSet(state, rs, size))) scaled = true;
    }
    return scaled;
  }

  /** Deletes old ReplicaSets beyond revisionHistoryLimit (scaled to 0, no pods left). */
  private async cleanup(state: SyncState, newRS: RS | undefined): Promise<void> {
    const olds = state.replicaSets.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
    for (const rs of replicaSetsToPrune(state.deployment, olds)) {
      try {
        await this.objects.delete(REPLICA_SET, rs.metadata.namespace, rs.metadata.name, Number(rs.metadata.resourceVersion));
        this.log.info({ controller: this.name, deployment: keyOf(state.deployment), replicaSet: rs.metadata.name }, 'deleted old replica set');
      } catch (error) {
        if (!(error instanceof NotFoundError) && !(error instanceof ConflictError)) throw error;
      }
      state.replicaSets = state.replicaSets.filter((r) => r.metadata.uid !== rs.metadata.uid);
    }
  }

  private replace(state: SyncState, written: RS): void {
    state.replicaSets = state.replicaSets.map((rs) => (rs.metadata.uid === written.metadata.uid ? written : rs));
  }

  /** The latest copy this sync holds of `rs`. */
  private current(state: SyncState, rs: RS | undefined): RS | undefined;
  private current(state: SyncState, rs: RS): RS;
  private current(state: SyncState, rs: RS | undefined): RS | undefined {
    return rs ? (state.replicaSets.find((r) => r.metadata.uid === rs.metadata.uid) ?? rs) : undefined;
  }

  /** Writes status and the revision annotation if they differ from what is stored, re-reading on conflict. */
  private async writeDeployment(state: SyncState, status: DeploymentStatus): Promise<void> {
    const cached = state.deployment;
    let base = thaw<Deployment>(cached);
    for (let attempt = 1; ; attempt++) {
      const annotations = { ...base.metadata.annotations };
      if (state.revision !== undefined && state.revision > 0) annotations[REVISION_ANNOTATION] = String(state.revision);
      const sameAnnotations = isDeepStrictEqual(annotations, base.metadata.annotations ?? {});
      if (isDeepStrictEqual(status, base.status ?? {}) && sameAnnotations) return;
      const metadata = { ...base.metadata };
      if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
      try {
        await this.objects.update(DEPLOYMENT, { ...base, metadata, status }, Number(base.metadata.resourceVersion));
        return;
      } catch (error) {
        if (error instanceof NotFoundError) return;
        if (!(error instanceof ConflictError) || attempt >= STATUS_ATTEMPTS) throw error;
      }
      const fresh = await this.objects.get<Deployment>(DEPLOYMENT, cached.metadata.namespace, cached.metadata.name);
      // Gone, re-created, or its spec moved on: the informer event for that
      // change queues a sync that computes the status against the new spec.
      if (!fresh || fresh.metadata.uid !== cached.metadata.uid) return;
      if (fresh.metadata.generation !== cached.metadata.generation) return;
      base = fresh;
    }
  }
}
