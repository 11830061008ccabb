// Deployment → pods. For each Deployment, sync(key) compares the pods it owns
// (controller owner reference with its uid) with spec.replicas and the current
// template, creates or deletes pods to close the gap, and writes the status.
//
// Rollouts are Recreate-like for now, whatever spec.strategy says: pods of an
// older template (their pod-template-hash label differs) are all deleted, and
// pods of the new template are created once the informer shows the old ones
// gone. RollingUpdate's maxSurge/maxUnavailable pacing is not honoured yet, and
// spec.paused and minReadySeconds are ignored. There are no ReplicaSets: pods
// are owned by the Deployment directly.
//
// Writes are compare-and-swap: creates are create-if-absent, deletes carry the
// revision the sync read, status updates retry on conflict. Expectations (see
// expectations.ts) keep a sync from acting before the informer has seen the
// previous sync's writes.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  AlreadyExistsError,
  ConflictError,
  kindInfo,
  NotFoundError,
  type Deployment,
  type DeploymentStatus,
  type Pod,
} from '@skiff/api';
import {
  buildPod,
  computeStatus,
  CONTROLLER_UID_INDEX,
  deploymentRefOf,
  isPodActive,
  newPodName,
  podTemplateHashOf,
  rankForDeletion,
  templateHash,
} from './deployment-pods.js';
import { Expectations } from './expectations.js';
import { keyOf, thaw, type Immutable } from '../cache/informer.js';
import { DeploymentPodsController, type DeploymentPodsControllerOptions } from './deployment-pods-controller.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');

/** Creates go out in batches of 1, 2, 4…: a failing create (quota, bad spec) costs one write, not hundreds. */
const INITIAL_CREATE_BATCH = 1;
/** Pods created by one sync at most (Kubernetes' ReplicaSet controller uses 500 too). */
const MAX_CREATES_PER_SYNC = 500;
/** Retries of a create whose random name was taken. */
const NAME_ATTEMPTS = 3;
/** Status writes that lose a compare-and-swap re-read and try again this often before the sync fails. */
const STATUS_ATTEMPTS = 5;

export interface DeploymentControllerOptions extends DeploymentPodsControllerOptions {
  /** See Expectations (default 60 s). */
  readonly expectationsTimeoutMs?: number;
}

export class DeploymentController extends DeploymentPodsController {
  private readonly expectations: Expectations;

  constructor(options: DeploymentControllerOptions) {
    super('deployment', options);
    this.expectations = new Expectations(
      options.expectationsTimeoutMs === undefined ? {} : { timeoutMs: options.expectationsTimeoutMs },
    );
  }

  protected registerHandlers(): void {
    this.deployments.addHandlers({
      onAdd: (deployment) => this.queue.add(keyOf(deployment)),
      onUpdate: (previous, current) => {
        // A relist can fold "deleted and re-created under the same name" into one update.
        if (previous.metadata.uid !== current.metadata.uid) this.expectations.forget(keyOf(current));
        this.queue.add(keyOf(current));
      },
      onDelete: (deployment) => {
        this.expectations.forget(keyOf(deployment));
        this.queue.add(keyOf(deployment));
      },
    });
    this.pods.addHandlers({
      onAdd: (pod) => {
        const owner = this.ownerKey(pod);
        if (!owner) return;
        this.expectations.creationObserved(owner.key, owner.uid, pod.metadata.name);
        if (pod.metadata.deletionTimestamp !== undefined) {
          this.expectations.deletionObserved(owner.key, owner.uid, pod.metadata.name);
        }
        this.queue.add(owner.key);
      },
      onUpdate: (previous, current) => {
        const before = this.ownerKey(previous);
        const after = this.ownerKey(current);
        if (after && current.metadata.deletionTimestamp !== undefined && previous.metadata.deletionTimestamp === undefined) {
          // Terminating pods no longer count: as good as deleted for expectations.
          this.expectations.deletionObserved(after.key, after.uid, current.metadata.name);
        }
        if (before) this.queue.add(before.key);
        if (after && after.key !== before?.key) this.queue.add(after.key);
      },
      onDelete: (pod) => {
        const owner = this.ownerKey(pod);
        if (!owner) return;
        this.expectations.deletionObserved(owner.key, owner.uid, pod.metadata.name);
        this.queue.add(owner.key);
      },
    });
  }

  /**
   * Brings one Deployment's pods and status in line with its spec. Reads only
   * the informer caches (never mutating them); throws to be retried with back-off.
   */
  async sync(key: string): Promise<void> {
    const deployment = this.deployments.get(key);
    if (!deployment) {
      // Deleted: its pods are the garbage collector's business.
      this.expectations.forget(key);
      return;
    }
    const uid = deployment.metadata.uid;
    if (!uid) {
      this.log.warn({ controller: 'deployment', key }, 'deployment has no uid; cannot own pods');
      return;
    }
    const namespace = deployment.metadata.namespace ?? 'default';
    const owned = this.pods
      .byIndex(CONTROLLER_UID_INDEX, uid)
      .filter((pod) => (pod.metadata.namespace ?? 'default') === namespace && deploymentRefOf(pod) !== undefined);
    const hash = templateHash(deployment.spec.template);

    let manageError: unknown;
    if (deployment.metadata.deletionTimestamp === undefined) {
      if (this.expectations.satisfied(key, uid)) {
        // No await between reading the cache above and recording expectations
        // inside manage(): an event handled in between would be missed by both.
        try {
          await this.manage(key, deployment, owned, hash);
        } catch (error) {
          manageError = error;
        }
      } else {
        // Events will normally re-queue the key; this is the wake-up for the timeout.
        this.queue.addAfter(key, this.expectations.remainingMs(key, uid));
      }
    }
    // Status is written even when pods could not be managed: it reports what is.
    await this.updateStatus(deployment, owned, hash);
    if (manageError !== undefined) throw manageError;
  }

  private async manage(key: string, deployment: Immutable<Deployment>, owned: Immutable<Pod>[], hash: string): Promise<void> {
    const uid = deployment.metadata.uid ?? '';
    const replicas = deployment.spec.replicas;
    const active = owned.filter(isPodActive);
    const current = active.filter((pod) => podTemplateHashOf(pod) === hash);
    const outdated = active.filter((pod) => podTemplateHashOf(pod) !== hash);
    // Finished pods (Succeeded/Failed) are replaced, not restarted; with no pod
    // garbage collection in Skiff, the controller removes them too.
    const finished = owned.filter((pod) => pod.metadata.deletionTimestamp === undefined && !isPodActive(pod));

    const doomed = [...finished, ...outdated];
    if (current.length > replicas) doomed.push(...rankForDeletion(current).slice(0, current.length - replicas));
    // Recreate-like: new-template pods only once no old-template pod is left.
    // At most MAX_CREATES_PER_SYNC at a time: the rest follow once these are
    // observed, so a huge replica count never stalls the control plane.
    const createCount = outdated.length > 0 ? 0 : Math.min(MAX_CREATES_PER_SYNC, Math.max(0, replicas - current.length));
    if (doomed.length === 0 && createCount === 0) return;

    const names = new Set<string>();
    while (names.size < createCount) names.add(newPodName(deployment.metadata.name));
    if (doomed.length > 0) this.expectations.expectDeletions(key, uid, doomed.map((pod) => pod.metadata.name));
    if (names.size > 0) this.expectations.expectCreations(key, uid, names);
    this.log.debug(
      { controller: 'deployment', key, replicas, current: current.length, outdated: outdated.length, create: names.size, delete: doomed.length },
      'reconciling deployment pods',
    );

    const errors: unknown[] = [];
    await Promise.all(doomed.map((pod) => this.deletePod(key, uid, pod).catch((error: unknown) => errors.push(error))));
    const createError = await this.createPods(key, deployment, hash, [...names]);
    if (createError !== undefined) errors.push(createError);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `deployment ${key}: ${errors.length} pod writes failed`);
  }

  private async deletePod(key: string, uid: string, pod: Immutable<Pod>): Promise<void> {
    const { name } = pod.metadata;
    try {
      await this.objects.delete(POD, pod.metadata.namespace, name, Number(pod.metadata.resourceVersion));
      this.log.info({ controller: 'deployment', key, pod: name }, 'deleted pod');
    } catch (error) {
      // No delete event will come for a write that failed: lower the expectation here.
      this.expectations.deletionObserved(key, uid, name);
      // Gone already is what we wanted; a conflict means the pod changed and
      // the decision must be made again from a fresher cache.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  /** Creates the pods in growing batches; returns the first error (after which nothing more is attempted). */
  private async createPods(key: string, deployment: Immutable<Deployment>, hash: string, names: string[]): Promise<unknown> {
    const uid = deployment.metadata.uid ?? '';
    let next = 0;
    let batch = INITIAL_CREATE_BATCH;
    let firstError: unknown;
    while (next < names.length && firstError === undefined) {
      const slice = names.slice(next, next + batch);
      next += slice.length;
      const results = await Promise.allSettled(slice.map((name) => this.createPod(key, deployment, hash, name)));
      for (const result of results) if (result.status === 'rejected') firstError ??= result.reason;
      batch *= 2;
    }
    // Pods never attempted will never be observed.
    for (const name of names.slice(next)) this.expectations.creationObserved(key, uid, name);
    return firstError;
  }

  private async createPod(key: string, deployment: Immutable<Deployment>, hash: string, firstName: string): Promise<void> {
    const uid = deployment.metadata.uid ?? '';
    let name = firstName;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.objects.create(POD, buildPod(deployment, hash, name, new Date(), randomUUID()));
        this.log.info({ controller: 'deployment', key, pod: name }, 'created pod');
        return;
      } catch (error) {
        this.expectations.creationObserved(key, uid, name);
        if (!(error instanceof AlreadyExistsError) || attempt >= NAME_ATTEMPTS) throw error;
        // Someone holds that random name: draw another (expected before it is written).
        name = newPodName(deployment.metadata.name);
        this.expectations.expectCreations(key, uid, [name]);
      }
    }
  }

  /** Writes the status if it differs from what is stored, re-reading on conflict. */
  private async updateStatus(cached: Immutable<Deployment>, owned: Immutable<Pod>[], hash: string): Promise<void> {
    const computed = computeStatus(cached, owned, hash);
    let base = thaw<Deployment>(cached);
    for (let attempt = 1; ; attempt++) {
      // Fields someone else put in status survive; ours are replaced.
      const status: DeploymentStatus = { ...base.status, ...computed };
      if (isDeepStrictEqual(status, base.status ?? {})) return;
      try {
        await this.objects.update(DEPLOYMENT, { ...base, status }, Number(base.metadata.resourceVersion));
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

  private ownerKey(pod: Immutable<Pod>): { key: string; uid: string } | undefined {
    const ref = deploymentRefOf(pod);
    if (!ref) return undefined;
    return { key: `${pod.metadata.namespace ?? 'default'}/${ref.name}`, uid: ref.uid };
  }
}
