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
// kind we do not watch cannot be confirmed gone. An owner deleted in the
// foreground (deletionTimestamp and the foregroundDeletion finalizer) has its
// dependents deleted while it still exists: a dependent that is itself an
// owner kind goes in the foreground too (so a Deployment waits for its
// ReplicaSets, which wait for their pods), pods gracefully. The owner's side
// — taking the finalizer off once no blocking dependent is left, and
// orphaning — is owner-finalizers.ts.
import { ConflictError, kindInfo, NotFoundError, type KindName, type ResourceObject } from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import { FOREGROUND_FINALIZER, isOwnerKind, planDeletion, type OwnerKind, type PropagationPolicy } from '../objects/object-deletion.js';
import { deletePod } from '../objects/pod-deletion.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { controllerRef, CONTROLLER_UID_INDEX, ensureControllerUidIndex } from './replica-set-pods.js';

export type { OwnerKind } from '../objects/object-deletion.js';

/** Whether `owner` is being deleted in the foreground: its dependents go before it does. */
export function waitsForDependents(owner: Immutable<ResourceObject>): boolean {
  return owner.metadata.deletionTimestamp !== undefined && (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
}

/** The controller reference if it names an object of `kind` in that kind's API group (apps/…, batch/…). */
export function controllerRefOfKind(object: Immutable<ResourceObject>, kind: OwnerKind) {
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
  /** The clock of deletionTimestamps it writes (default Date.now). */
  readonly now?: () => number;
}

/** Keys are dependent keys ("namespace/name"). */
export class GarbageCollector<Dependent extends ResourceObject, Owner extends ResourceObject> extends QueueController {
  private readonly dependents: Informer<Dependent>;
  private readonly owners: Informer<Owner>;
  private readonly ownerKind: OwnerKind;
  private readonly dependentKind: KindName;
  private readonly now: () => number;

  constructor(options: GarbageCollectorOptions<Dependent, Owner>) {
    super(`garbage-collector(${options.ownerKind}→${options.dependentKind})`, options, [options.dependents, options.owners]);
    this.dependents = options.dependents;
    this.owners = options.owners;
    this.ownerKind = options.ownerKind;
    this.dependentKind = options.dependentKind;
    this.now = options.now ?? Date.now;
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
      onAdd: (owner) => {
        if (waitsForDependents(owner as Immutable<ResourceObject>)) this.enqueueDependents(owner);
      },
      onUpdate: (previous, current) => {
        // A relist may fold delete + re-create (same name, new uid) into one update.
        if (previous.metadata.uid !== current.metadata.uid) this.enqueueDependents(previous);
        else if (waitsForDependents(current as Immutable<ResourceObject>) && !waitsForDependents(previous as Immutable<ResourceObject>)) this.enqueueDependents(current);
      },
      onDelete: (owner) => this.enqueueDependents(owner),
    });
  }

  /** Deletes the dependent `key` if its controlling owner is gone, or is being deleted in the foreground. */
  async sync(key: string): Promise<void> {
    const object = this.dependents.get(key);
    const ref = object ? this.ref(object) : undefined;
    // One being deleted already is on its way (its own finalizers are owner-finalizers.ts's).
    if (!object || !ref || object.metadata.deletionTimestamp !== undefined) return;
    const namespace = object.metadata.namespace ?? 'default';
    const cachedOwner = this.owners.get(`${namespace}/${ref.name}`);
    let policy: PropagationPolicy | undefined;
    if (cachedOwner?.metadata.uid === ref.uid) {
      if (!waitsForDependents(cachedOwner as Immutable<ResourceObject>)) return;
      policy = this.foregroundPolicy();
    } else {
      // The cache says the owner is gone, but the owner informer may simply be
      // behind the dependent informer (owner just created by another writer):
      // deleting is irreversible, so confirm with a read from the store first.
      const liveOwner = await this.objects.get(kindInfo(this.ownerKind), namespace, ref.name);
      if (liveOwner?.metadata.uid === ref.uid) {
        if (!waitsForDependents(liveOwner)) return;
        policy = this.foregroundPolicy();
      }
    }

    const info = kindInfo(this.dependentKind);
    let target: Immutable<ResourceObject> = object as Immutable<ResourceObject>;
    for (let attempt = 1; ; attempt++) {
      try {
        // Compare-and-swap at the version read: a dependent orphaned or re-owned meanwhile is not deleted.
        await this.deleteDependent(namespace, target, policy);
        this.log.info(
          { controller: this.name, [this.dependentKind.toLowerCase()]: key, owner: `${this.ownerKind.toLowerCase()}/${ref.name}`, ownerUid: ref.uid, ...(policy ? { propagationPolicy: policy } : {}) },
          policy === undefined ? 'deleted object whose owner is gone' : 'deleted dependent of an owner deleted in the foreground',
        );
        return;
      } catch (error) {
        if (error instanceof NotFoundError) return;
        if (!(error instanceof ConflictError) || attempt >= DELETE_ATTEMPTS) throw error;
      }
      // It changed since it was read (status report, binding): re-read and
      // delete that version, unless it is no longer the same orphan.
      const fresh = await this.objects.get(info, namespace, target.metadata.name);
      if (!fresh || fresh.metadata.deletionTimestamp !== undefined || controllerRefOfKind(fresh, this.ownerKind)?.uid !== ref.uid) return;
      target = fresh;
    }
  }

  /** How a dependent of an owner deleted in the foreground goes: in the foreground too when it may own objects itself (Kubernetes' attemptToDeleteItem). */
  private foregroundPolicy(): PropagationPolicy {
    return isOwnerKind(this.dependentKind) ? 'Foreground' : 'Background';
  }

  /**
   * Deletes `target` at its version. Pods go gracefully, as Kubernetes'
   * collector deletes them: a running one is marked and stopped by its agent.
   * Others by their finalizers and `policy` (absent: a collector finalizer
   * they carry, else Background, as Kubernetes' collector deletes orphans).
   */
  private async deleteDependent(namespace: string, target: Immutable<ResourceObject>, policy: PropagationPolicy | undefined): Promise<void> {
    const revision = Number(target.metadata.resourceVersion);
    const name = target.metadata.name;
    if (this.dependentKind === 'Pod') {
      await deletePod(this.objects, namespace, name, { expectedRevision: revision, ...(target.metadata.uid ? { uid: target.metadata.uid } : {}) });
      return;
    }
    const info = kindInfo(this.dependentKind);
    const plan = planDeletion(thaw<ResourceObject>(target), policy, new Date(this.now()), 'Background');
    if (plan.op === 'remove') await this.objects.delete(info, namespace, name, revision);
    else if (plan.op === 'mark') await this.objects.update(info, plan.object, revision);
  }

  private enqueueDependents(owner: Immutable<Owner>): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const object of this.dependents.byIndex(CONTROLLER_UID_INDEX, uid)) this.queue.add(keyOf(object));
  }
}
