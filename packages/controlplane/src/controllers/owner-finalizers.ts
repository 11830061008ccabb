// The owner's side of deletion propagation, as Kubernetes' garbage collector
// does it (orphanDependents and processDeletingDependentsItem): an owner that
// was deleted with propagationPolicy Orphan or Foreground carries a
// deletionTimestamp and the `orphan` or `foregroundDeletion` finalizer
// (objects/object-deletion.ts), and one of these controllers per owner kind
// takes the finalizer off when its work is done — the last finalizer going
// removes the owner.
//
// - orphan: every dependent (of the kinds the collector follows for this
//   owner) loses its ownerReferences to the owner's uid, by compare-and-swap,
//   read from the store (a dependent the cache has not seen yet is orphaned
//   too); then the finalizer goes. The dependents keep running.
// - foregroundDeletion: the dependents are deleted by the dependent-side
//   collectors (garbage-collector.ts); the owner waits while any dependent's
//   controller reference to it has blockOwnerDeletion (every Skiff controller
//   sets it). Once the cache shows none, a read from the store confirms it,
//   and the finalizer goes. Non-controller references do not block: the
//   collector does not follow them, so nothing would ever delete those.
//
// Keys are owner keys ("namespace/name"); handlers on the owners and on their
// dependents enqueue them, and sync(key) decides from what is (level-triggered).
import { isDeepStrictEqual } from 'node:util';
import { kindInfo, NotFoundError, type KindName, type OwnerReference, type ResourceObject } from '@skiff/api';
import { keyOf, type Immutable, type Informer } from '../cache/informer.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, updateOrComplete, withoutFinalizer, type OwnerKind } from '../objects/object-deletion.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { CONTROLLER_UID_INDEX, ensureControllerUidIndex } from './replica-set-pods.js';

/** One kind of object an owner kind has as dependents, with its informer. */
export interface DependentKind {
  readonly kind: KindName;
  readonly informer: Informer<ResourceObject>;
}

export interface OwnerFinalizersOptions<Owner extends ResourceObject> extends QueueControllerOptions {
  readonly ownerKind: OwnerKind;
  readonly owners: Informer<Owner>;
  readonly dependents: readonly DependentKind[];
}

/** Whether `object` is marked for deletion with one of the garbage collector's finalizers. */
function hasCollectorFinalizer(object: Immutable<ResourceObject>): boolean {
  const finalizers = object.metadata.finalizers ?? [];
  return object.metadata.deletionTimestamp !== undefined && (finalizers.includes(ORPHAN_FINALIZER) || finalizers.includes(FOREGROUND_FINALIZER));
}

export class OwnerFinalizers<Owner extends ResourceObject> extends QueueController {
  private readonly owners: Informer<Owner>;
  private readonly ownerKind: OwnerKind;
  private readonly dependents: readonly DependentKind[];

  constructor(options: OwnerFinalizersOptions<Owner>) {
    super(`owner-finalizers(${options.ownerKind})`, options, [options.owners, ...options.dependents.map((d) => d.informer)]);
    this.owners = options.owners;
    this.ownerKind = options.ownerKind;
    this.dependents = options.dependents;
    for (const { informer } of this.dependents) ensureControllerUidIndex(informer);
  }

  protected registerHandlers(): void {
    const enqueueOwner = (owner: Immutable<Owner>): void => {
      if (hasCollectorFinalizer(owner as Immutable<ResourceObject>)) this.queue.add(keyOf(owner));
    };
    this.owners.addHandlers({ onAdd: enqueueOwner, onUpdate: (_previous, current) => enqueueOwner(current) });
    for (const { informer } of this.dependents) {
      informer.addHandlers({
        onDelete: (dependent) => this.enqueueOwnersOf(dependent),
        onUpdate: (previous, current) => {
          if (isDeepStrictEqual(previous.metadata.ownerReferences, current.metadata.ownerReferences)) return;
          this.enqueueOwnersOf(previous);
          this.enqueueOwnersOf(current);
        },
      });
    }
  }

  /** Queues the owners of `dependent` that are waiting on a collector finalizer. */
  private enqueueOwnersOf(dependent: Immutable<ResourceObject>): void {
    const namespace = dependent.metadata.namespace ?? 'default';
    for (const ref of dependent.metadata.ownerReferences ?? []) {
      if (ref.kind !== this.ownerKind) continue;
      const owner = this.owners.get(`${namespace}/${ref.name}`);
      if (owner?.metadata.uid === ref.uid && hasCollectorFinalizer(owner as Immutable<ResourceObject>)) this.queue.add(keyOf(owner));
    }
  }

  async sync(key: string): Promise<void> {
    const owner = this.owners.get(key) as Immutable<ResourceObject> | undefined;
    if (!owner?.metadata.uid || !hasCollectorFinalizer(owner)) return;
    const finalizers = owner.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      const orphaned = await this.orphanDependents(owner);
      await this.removeFinalizer(owner, ORPHAN_FINALIZER);
      this.log.info({ controller: this.name, [this.ownerKind.toLowerCase()]: key, orphaned }, 'orphaned the dependents of a deleted owner');
      return;
    }
    // Cheap first: while the cache shows a blocking dependent, its deletion (an informer event) brings us back.
    if (this.cachedBlocking(owner) > 0) return;
    const blocking = (await this.dependentsInStore(owner)).filter(({ object }) => blocks(object, owner.metadata.uid ?? ''));
    if (blocking.length > 0) return; // the cache is behind; their deletion events are on their way
    await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
    this.log.info({ controller: this.name, [this.ownerKind.toLowerCase()]: key }, 'dependents are gone: owner deleted in the foreground is removed');
  }

  private cachedBlocking(owner: Immutable<ResourceObject>): number {
    const uid = owner.metadata.uid ?? '';
    const namespace = owner.metadata.namespace ?? 'default';
    let count = 0;
    for (const { informer } of this.dependents) {
      for (const object of informer.byIndex(CONTROLLER_UID_INDEX, uid)) {
        if ((object.metadata.namespace ?? 'default') === namespace && blocks(object, uid)) count++;
      }
    }
    return count;
  }

  /** Every stored dependent (of the followed kinds) with any owner reference to `owner`'s uid. */
  private async dependentsInStore(owner: Immutable<ResourceObject>): Promise<{ kind: KindName; object: ResourceObject }[]> {
    const uid = owner.metadata.uid ?? '';
    const namespace = owner.metadata.namespace ?? 'default';
    const found: { kind: KindName; object: ResourceObject }[] = [];
    for (const { kind } of this.dependents) {
      const { items } = await this.objects.list(kindInfo(kind), namespace);
      for (const object of items) if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) found.push({ kind, object });
    }
    return found;
  }

  /** Removes the owner's references from each dependent, by compare-and-swap; answers how many were changed. */
  private async orphanDependents(owner: Immutable<ResourceObject>): Promise<number> {
    const uid = owner.metadata.uid ?? '';
    let orphaned = 0;
    for (const { kind, object } of await this.dependentsInStore(owner)) {
      const info = kindInfo(kind);
      let current: ResourceObject | undefined = object;
      await retryOnConflict(async () => {
        current ??= await this.objects.get(info, object.metadata.namespace, object.metadata.name);
        const read = current;
        current = undefined; // a lost race reads again
        if (!read || read.metadata.uid !== object.metadata.uid || !read.metadata.ownerReferences?.some((ref) => ref.uid === uid)) return;
        const kept = read.metadata.ownerReferences.filter((ref) => ref.uid !== uid);
        const metadata = { ...read.metadata };
        if (kept.length > 0) metadata.ownerReferences = kept;
        else delete metadata.ownerReferences;
        try {
          await this.objects.update(info, { ...read, metadata }, Number(read.metadata.resourceVersion));
          orphaned++;
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error; // gone meanwhile: nothing to orphan
        }
      });
    }
    return orphaned;
  }

  /** Takes `finalizer` off this incarnation of the owner (read from the store); the last one going removes it. */
  private async removeFinalizer(owner: Immutable<ResourceObject>, finalizer: string): Promise<void> {
    const info = kindInfo(this.ownerKind);
    const namespace = owner.metadata.namespace ?? 'default';
    await retryOnConflict(async () => {
      const live = await this.objects.get(info, namespace, owner.metadata.name);
      if (!live || live.metadata.uid !== owner.metadata.uid || !(live.metadata.finalizers ?? []).includes(finalizer)) return;
      try {
        await updateOrComplete(this.objects, info, withoutFinalizer(live, finalizer), Number(live.metadata.resourceVersion));
      } catch (error) {
        // Gone meanwhile (another delete removed it): done. A lost race (ConflictError) reads again.
        if (!(error instanceof NotFoundError)) throw error;
      }
    });
  }
}

/** Whether `dependent` keeps owner `uid` from going: its controller reference to it blocks owner deletion. */
function blocks(dependent: Immutable<ResourceObject>, uid: string): boolean {
  return dependent.metadata.ownerReferences?.some((ref: Immutable<OwnerReference>) => ref.uid === uid && ref.controller === true && ref.blockOwnerDeletion === true) ?? false;
}
