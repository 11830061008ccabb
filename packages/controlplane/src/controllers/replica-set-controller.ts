// ReplicaSet → pods, as Kubernetes' ReplicaSet controller: for each
// ReplicaSet, sync(key) adopts orphan pods its selector matches (and releases
// owned pods it no longer matches), creates or deletes pods to reach
// spec.replicas, and writes its status (replicas, fullyLabeled, ready,
// available after minReadySeconds, observedGeneration).
//
// Writes are compare-and-swap: creates are create-if-absent, deletes and
// adoptions carry the revision the sync read, status updates retry on
// conflict. Expectations (expectations.ts) keep a sync from acting before the
// informer has seen the previous sync's creates and deletes.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  AlreadyExistsError,
  ConflictError,
  kindInfo,
  NotFoundError,
  type Pod,
  type ReplicaSet,
} from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import { deletePod } from '../objects/pod-deletion.js';
import { Expectations } from './expectations.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import {
  appsControllerRef,
  buildPod,
  computeReplicaSetStatus,
  controllerRef,
  controllerReferenceTo,
  CONTROLLER_UID_INDEX,
  ensureControllerUidIndex,
  isPodActive,
  isPodReady,
  newPodName,
  rankForDeletion,
  readySinceMs,
  selects,
} from './replica-set-pods.js';
import { writeStatus } from './status-writer.js';

const POD = kindInfo('Pod');
const REPLICA_SET = kindInfo('ReplicaSet');
/** Pod informer index: active pods without a controller, by namespace — what a ReplicaSet may adopt, without a scan of every pod. */
const ORPHANS_BY_NAMESPACE_INDEX = 'orphans-by-namespace';

/** Creates go out in batches of 1, 2, 4…: a failing create (quota, bad spec) costs one write, not hundreds. */
const INITIAL_CREATE_BATCH = 1;
/** Pods created by one sync at most (Kubernetes' burstReplicas is 500 too). */
const MAX_CREATES_PER_SYNC = 500;
/** Retries of a create whose random name was taken. */
const NAME_ATTEMPTS = 3;
/** Status writes that lose a compare-and-swap re-read and try again this often before the sync fails. */

export interface ReplicaSetControllerOptions extends QueueControllerOptions {
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  /** See Expectations (default 60 s). */
  readonly expectationsTimeoutMs?: number;
  /** Injected for tests: minReadySeconds is measured on it. */
  readonly now?: () => number;
}

export class ReplicaSetController extends QueueController {
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly expectations: Expectations;
  private readonly now: () => number;
  /** When a pod whose Ready condition carries no lastTransitionTime was first seen Ready, by pod uid. */
  private readonly firstSeenReady = new Map<string, number>();

  constructor(options: ReplicaSetControllerOptions) {
    super('replicaset', options, [options.replicaSets, options.pods]);
    this.replicaSets = options.replicaSets;
    this.pods = options.pods;
    this.now = options.now ?? Date.now;
    this.expectations = new Expectations({
      now: this.now,
      ...(options.expectationsTimeoutMs === undefined ? {} : { timeoutMs: options.expectationsTimeoutMs }),
    });
    ensureControllerUidIndex(this.pods);
    if (!this.pods.hasIndex(ORPHANS_BY_NAMESPACE_INDEX)) {
      this.pods.addIndex(ORPHANS_BY_NAMESPACE_INDEX, (pod) =>
        controllerRef(pod) === undefined && isPodActive(pod) ? [pod.metadata.namespace ?? 'default'] : [],
      );
    }
  }

  protected registerHandlers(): void {
    this.replicaSets.addHandlers({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (previous, current) => {
        if (previous.metadata.uid !== current.metadata.uid) this.expectations.forget(keyOf(current));
        this.queue.add(keyOf(current));
      },
      onDelete: (rs) => {
        this.expectations.forget(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    this.pods.addHandlers({
      onAdd: (pod) => {
        this.noteReady(pod);
        const owner = this.ownerKey(pod);
        if (!owner) {
          this.enqueueSelecting(pod);
          return;
        }
        this.expectations.creationObserved(owner.key, owner.uid, pod.metadata.name);
        if (pod.metadata.deletionTimestamp !== undefined) this.expectations.deletionObserved(owner.key, owner.uid, pod.metadata.name);
        this.queue.add(owner.key);
      },
      onUpdate: (previous, current) => {
        this.noteReady(current);
        const before = this.ownerKey(previous);
        const after = this.ownerKey(current);
        if (after && current.metadata.deletionTimestamp !== undefined && previous.metadata.deletionTimestamp === undefined) {
          // Terminating pods no longer count: as good as deleted for expectations.
          this.expectations.deletionObserved(after.key, after.uid, current.metadata.name);
        }
        if (before) this.queue.add(before.key);
        if (after && after.key !== before?.key) this.queue.add(after.key);
        if (!after && (controllerRef(previous) !== undefined || !isDeepStrictEqual(previous.metadata.labels, current.metadata.labels))) {
          this.enqueueSelecting(current);
        }
      },
      onDelete: (pod) => {
        if (pod.metadata.uid) this.firstSeenReady.delete(pod.metadata.uid);
        const owner = this.ownerKey(pod);
        if (!owner) return;
        this.expectations.deletionObserved(owner.key, owner.uid, pod.metadata.name);
        this.queue.add(owner.key);
      },
    });
  }

  /** Brings one ReplicaSet's pods and status in line with its spec; throws to be retried with back-off. */
  async sync(key: string): Promise<void> {
    const rs = this.replicaSets.get(key);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const uid = rs.metadata.uid;
    if (!uid) return;
    const namespace = rs.metadata.namespace ?? 'default';
    let owned = this.pods
      .byIndex(CONTROLLER_UID_INDEX, uid)
      .filter((pod) => (pod.metadata.namespace ?? 'default') === namespace && appsControllerRef(pod, 'ReplicaSet') !== undefined);
    const deleting = rs.metadata.deletionTimestamp !== undefined;
    const errors: unknown[] = [];
    if (!deleting) {
      try {
        owned = await this.claimPods(rs, owned);
      } catch (error) {
        errors.push(error);
      }
    }
    const active = owned.filter(isPodActive);

    if (!deleting) {
      if (this.expectations.satisfied(key, uid)) {
        try {
          await this.manage(key, rs, owned, active);
        } catch (error) {
          errors.push(error);
        }
      } else {
        this.queue.addAfter(key, this.expectations.remainingMs(key, uid));
      }
    }
    // Status is written even when pods could not be managed: it reports what is.
    const { status, recheckAtMs } = computeReplicaSetStatus(rs, {
      pods: active,
      readySince: (pod) => readySinceMs(pod, pod.metadata.uid ? this.firstSeenReady.get(pod.metadata.uid) : undefined),
      nowMs: this.now(),
    });
    await writeStatus(rs, (base) => ({ ...base.status, ...status }), { objects: this.objects, kind: REPLICA_SET });
    if (recheckAtMs !== undefined) this.queue.addAfter(key, Math.max(1, recheckAtMs - this.now()));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `replicaset ${key}: ${errors.length} pod writes failed`);
  }

  /**
   * Kubernetes' ClaimPods: orphan pods the selector matches are adopted
   * (after confirming from the store that this ReplicaSet still exists as
   * cached), owned pods it no longer matches are released. Returns the pods
   * owned once that is done.
   */
  private async claimPods(rs: Immutable<ReplicaSet>, owned: Immutable<Pod>[]): Promise<Immutable<Pod>[]> {
    const namespace = rs.metadata.namespace ?? 'default';
    const orphans = this.pods.byIndex(ORPHANS_BY_NAMESPACE_INDEX, namespace).filter((pod) => selects(rs, pod.metadata.labels));
    const strays = owned.filter((pod) => !selects(rs, pod.metadata.labels));
    if (orphans.length === 0 && strays.length === 0) return owned;
    const live = await this.objects.get<ReplicaSet>(REPLICA_SET, namespace, rs.metadata.name);
    if (!live || live.metadata.uid !== rs.metadata.uid || live.metadata.deletionTimestamp !== undefined) return owned;

    const kept = owned.filter((pod) => !strays.includes(pod));
    const adopted: Immutable<Pod>[] = [];
    await Promise.all([
      ...orphans.map(async (pod) => {
        const written = await this.rewriteOwners(pod, [...thaw(pod.metadata.ownerReferences ?? []), controllerReferenceTo(rs)]);
        if (written) {
          adopted.push(written);
          this.log.info({ controller: this.name, replicaSet: keyOf(rs), pod: pod.metadata.name }, 'adopted pod');
        }
      }),
      ...strays.map(async (pod) => {
        await this.rewriteOwners(pod, thaw(pod.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== rs.metadata.uid));
      }),
    ]);
    return [...kept, ...adopted];
  }

  /** CAS-updates a pod's owner references; undefined when the pod changed or went meanwhile (the next sync decides again). */
  private async rewriteOwners(pod: Immutable<Pod>, ownerReferences: Pod['metadata']['ownerReferences']): Promise<Pod | undefined> {
    const copy = thaw<Pod>(pod);
    const metadata = { ...copy.metadata };
    if (ownerReferences && ownerReferences.length > 0) metadata.ownerReferences = ownerReferences;
    else delete metadata.ownerReferences;
    try {
      return await this.objects.update(POD, { ...copy, metadata }, Number(pod.metadata.resourceVersion));
    } catch (error) {
      if (error instanceof ConflictError || error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  private async manage(key: string, rs: Immutable<ReplicaSet>, owned: Immutable<Pod>[], active: Immutable<Pod>[]): Promise<void> {
    const uid = rs.metadata.uid ?? '';
    const replicas = rs.spec.replicas;
    // Finished pods (Succeeded/Failed) are replaced, not restarted; with no pod
    // garbage collection in Skiff, the controller removes them too.
    const doomed = owned.filter((pod) => pod.metadata.deletionTimestamp === undefined && !isPodActive(pod));
    if (active.length > replicas) doomed.push(...rankForDeletion(active).slice(0, active.length - replicas));
    const createCount = Math.min(MAX_CREATES_PER_SYNC, Math.max(0, replicas - active.length));
    if (doomed.length === 0 && createCount === 0) return;

    const names = new Set<string>();
    while (names.size < createCount) names.add(newPodName(rs.metadata.name));
    // No await between reading the cache in sync() and recording expectations
    // here: an event handled in between would be missed by both.
    if (doomed.length > 0) this.expectations.expectDeletions(key, uid, doomed.map((pod) => pod.metadata.name));
    if (names.size > 0) this.expectations.expectCreations(key, uid, names);
    this.log.debug({ controller: this.name, key, replicas, active: active.length, create: names.size, delete: doomed.length }, 'reconciling replicaset pods');

    const errors: unknown[] = [];
    await Promise.all(doomed.map((pod) => this.deletePod(key, uid, pod).catch((error: unknown) => errors.push(error))));
    const createError = await this.createPods(key, rs, [...names]);
    if (createError !== undefined) errors.push(createError);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `replicaset ${key}: ${errors.length} pod writes failed`);
  }

  private async deletePod(key: string, uid: string, pod: Immutable<Pod>): Promise<void> {
    const { name } = pod.metadata;
    try {
      // Graceful, as the API's delete: a running pod is marked and its agent stops it (preStop, SIGTERM, grace period).
      const { removed } = await deletePod(this.objects, pod.metadata.namespace ?? 'default', name, {
        expectedRevision: Number(pod.metadata.resourceVersion),
        ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
      });
      this.log.info({ controller: this.name, key, pod: name, removed }, removed ? 'deleted pod' : 'pod marked for graceful deletion');
    } catch (error) {
      // No delete event will come for a write that failed: lower the expectation here.
      this.expectations.deletionObserved(key, uid, name);
      // Gone already is what we wanted; a conflict means the pod changed and
      // the decision must be made again from a fresher cache.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  /** Creates the pods in growing batches; returns the first error (after which nothing more is attempted). */
  private async createPods(key: string, rs: Immutable<ReplicaSet>, names: string[]): Promise<unknown> {
    const uid = rs.metadata.uid ?? '';
    let next = 0;
    let batch = INITIAL_CREATE_BATCH;
    let firstError: unknown;
    while (next < names.length && firstError === undefined) {
      const slice = names.slice(next, next + batch);
      next += slice.length;
      const results = await Promise.allSettled(slice.map((name) => this.createPod(key, rs, name)));
      for (const result of results) if (result.status === 'rejected') firstError ??= result.reason;
      batch *= 2;
    }
    // Pods never attempted will never be observed.
    for (const name of names.slice(next)) this.expectations.creationObserved(key, uid, name);
    return firstError;
  }

  private async createPod(key: string, rs: Immutable<ReplicaSet>, firstName: string): Promise<void> {
    const uid = rs.metadata.uid ?? '';
    let name = firstName;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.objects.create(POD, buildPod(rs, name, new Date(this.now()), randomUUID()));
        this.log.info({ controller: this.name, key, pod: name }, 'created pod');
        return;
      } catch (error) {
        this.expectations.creationObserved(key, uid, name);
        if (!(error instanceof AlreadyExistsError) || attempt >= NAME_ATTEMPTS) throw error;
        // Someone holds that random name: draw another (expected before it is written).
        name = newPodName(rs.metadata.name);
        this.expectations.expectCreations(key, uid, [name]);
      }
    }
  }

  /** Remembers when a pod whose Ready condition is not time-stamped was first seen Ready. */
  private noteReady(pod: Immutable<Pod>): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (!isPodReady(pod)) {
      this.firstSeenReady.delete(uid);
      return;
    }
    if (!this.firstSeenReady.has(uid)) this.firstSeenReady.set(uid, this.now());
  }

  /** Queues the ReplicaSets whose selector matches an orphan pod (to adopt it). */
  private enqueueSelecting(pod: Immutable<Pod>): void {
    if (!isPodActive(pod) || controllerRef(pod) !== undefined) return;
    const namespace = pod.metadata.namespace ?? 'default';
    for (const rs of this.replicaSets.listBy((r) => (r.metadata.namespace ?? 'default') === namespace && selects(r, pod.metadata.labels))) {
      this.queue.add(keyOf(rs));
    }
  }

  private ownerKey(pod: Immutable<Pod>): { key: string; uid: string } | undefined {
    const ref = appsControllerRef(pod, 'ReplicaSet');
    if (!ref) return undefined;
    return { key: `${pod.metadata.namespace ?? 'default'}/${ref.name}`, uid: ref.uid };
  }
}
