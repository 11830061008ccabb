// Garbage collection by owner reference: an object whose controller (matched
// by uid, not just name) no longer exists is deleted. One collector follows
// one edge of the owner chain — Deployment → ReplicaSet, ReplicaSet → Pod,
// DaemonSet → Pod, Deployment → Pod for pods an older Skiff created without ReplicaSets,
// CronJob → Job and Job → Pod —
// so `ctl delete deployment` removes its ReplicaSets, then their pods,
// including deletions that happened while the control plane was down (every
// dependent is checked once when the informers first sync).
//
// Only controller references to the kinds above are followed: an owner of a
// kind we do not watch cannot be confirmed gone. Deletion is immediate
// (background propagation; no foreground policy, blockOwnerDeletion is not
// enforced).
import { ConflictError, kindInfo, NotFoundError, type KindName, type ResourceObject } from '@skiff/api';
import { keyOf, type Immutable, type Informer } from '../cache/informer.js';
import { deletePod } from '../objects/pod-deletion.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { controllerRef, CONTROLLER_UID_INDEX, ensureControllerUidIndex } from './replica-set-pods.js';

/** The owner kinds a collector can follow (their informers exist). */
export type OwnerKind = 'Deployment' | 'ReplicaSet' | 'DaemonSet' | 'Job' | 'CronJob';

/** The controller reference if it names an object of `kind` in that kind's API group (apps/…, batch/…). */
function controllerRefOfKind(object: Immutable<ResourceObject>, kind: OwnerKind) {
  const ref = controllerRef(object);
  const apiVersion = kindInfo(kind).apiVersion;
  const group = apiVersion.slice(0, apiVersion.indexOf('/') + 1);
  return ref?.kind === kind && ref.apiVersion.startsWith(group) ? ref : undefined;
}

/** Deletes that lose a compare-and-swap (the object changed) re-read and try again this often. */
const DELETE_ATTEMPTS = 5;

export interface GarbageCollectorOptions<Dependent extends ResourceObject, Owner extends ResourceObject> extends QueueControllerOptions {
  readonly dependentKind: KindName;
  readonly dependents: Informer<Dependent>;
  readonly ownerKind: OwnerKind;
  readonly owners: Informer<Owner>;
}

/** Keys are dependent keys ("namespace/name"). */
export class GarbageCollector<Dependent extends ResourceObject, Owner extends ResourceObject> extends QueueController {
  private readonly dependents: Informer<Dependent>;
  private readonly owners: Informer<Owner>;
  private readonly ownerKind: OwnerKind;
  private readonly dependentKind: KindName;

  constructor(options: GarbageCollectorOptions<Dependent, Owner>) {
    super(`garbage-collector(${options.ownerKind}→${options.dependentKind})`, options, [options.dependents, options.owners]);
    this.dependents = options.dependents;
    this.owners = options.owners;
    this.ownerKind = options.ownerKind;
    this.dependentKind = options.dependentKind;
    ensureControllerUidIndex(this.dependents);
  }

  private ref(object: Immutable<Dependent>) {
    return controllerRefOfKind(object as Immutable<ResourceObject>, this.ownerKind);
  }

  protected registerHandlers(): void {
    this.dependents.addHandlers({
      onAdd: (object) => {
        if (this.ref(object)) this.queue.add(keyOf(object));
      },
      onUpdate: (previous, current) => {
        // Status churn cannot orphan an object; only a change of owner can.
        if (this.ref(current) && this.ref(previous)?.uid !== this.ref(current)?.uid) this.queue.add(keyOf(current));
      },
    });
    this.owners.addHandlers({
      onUpdate: (previous, current) => {
        // A relist may fold delete + re-create (same name, new uid) into one update.
        if (previous.metadata.uid !== current.metadata.uid) this.enqueueDependents(previous);
      },
      onDelete: (owner) => this.enqueueDependents(owner),
    });
  }

  /** Deletes the dependent `key` if its controlling owner is gone. */
  async sync(key: string): Promise<void> {
    const object = this.dependents.get(key);
    const ref = object ? this.ref(object) : undefined;
    if (!object || !ref) return;
    const namespace = object.metadata.namespace ?? 'default';
    const cachedOwner = this.owners.get(`${namespace}/${ref.name}`);
    if (cachedOwner?.metadata.uid === ref.uid) return;
    // The cache says the owner is gone, but the owner informer may simply be
    // behind the dependent informer (owner just created by another writer):
    // deleting is irreversible, so confirm with a read from the store first.
    const liveOwner = await this.objects.get(kindInfo(this.ownerKind), namespace, ref.name);
    if (liveOwner?.metadata.uid === ref.uid) return;

    const info = kindInfo(this.dependentKind);
    let target: Immutable<ResourceObject> = object as Immutable<ResourceObject>;
    for (let attempt = 1; ; attempt++) {
      try {
        const revision = Number(target.metadata.resourceVersion);
        // Pods go gracefully, as Kubernetes' collector deletes them: a running one is marked and stopped by its agent.
        if (this.dependentKind === 'Pod') await deletePod(this.objects, namespace, target.metadata.name, { expectedRevision: revision, ...(target.metadata.uid ? { uid: target.metadata.uid } : {}) });
        else await this.objects.delete(info, namespace, target.metadata.name, revision);
        this.log.info(
          { controller: this.name, [this.dependentKind.toLowerCase()]: key, owner: `${this.ownerKind.toLowerCase()}/${ref.name}`, ownerUid: ref.uid },
          'deleted object whose owner is gone',
        );
        return;
      } catch (error) {
        if (error instanceof NotFoundError) return;
        if (!(error instanceof ConflictError) || attempt >= DELETE_ATTEMPTS) throw error;
      }
      // It changed since it was read (status report, binding): re-read and
      // delete that version, unless it is no longer the same orphan.
      const fresh = await this.objects.get(info, namespace, target.metadata.name);
      if (!fresh || controllerRefOfKind(fresh, this.ownerKind)?.uid !== ref.uid) return;
      target = fresh;
    }
  }

  private enqueueDependents(owner: Immutable<Owner>): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const object of this.dependents.byIndex(CONTROLLER_UID_INDEX, uid)) this.queue.add(keyOf(object));
  }
}
