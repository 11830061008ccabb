// Garbage collection by owner reference: a pod whose controlling Deployment
// (matched by uid, not just name) no longer exists is deleted — this is what
// removes a Deployment's pods after `ctl delete deployment`, including
// deletions that happened while the control plane was down (every pod is
// checked once when the informers first sync).
//
// Only controller references to Deployments are followed: they are the only
// owners Skiff's controllers create, and an owner of a kind we do not watch
// cannot be confirmed gone. Deletion is immediate (no foreground/background
// propagation policies, blockOwnerDeletion is not enforced).
import { ConflictError, kindInfo, NotFoundError, type Deployment, type Pod } from '@skiff/api';
import { CONTROLLER_UID_INDEX, deploymentRefOf } from './deployment-pods.js';
import { DeploymentPodsController, type DeploymentPodsControllerOptions } from './deployment-pods-controller.js';
import { keyOf, type Immutable } from '../cache/informer.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
/** Deletes that lose a compare-and-swap (the pod changed) re-read and try again this often. */
const DELETE_ATTEMPTS = 5;

export type GarbageCollectorOptions = DeploymentPodsControllerOptions;

/** Keys are pod keys ("namespace/name"). */
export class GarbageCollector extends DeploymentPodsController {
  constructor(options: GarbageCollectorOptions) {
    super('garbage-collector', options);
  }

  protected registerHandlers(): void {
    this.pods.addHandlers({
      onAdd: (pod) => {
        if (deploymentRefOf(pod)) this.queue.add(keyOf(pod));
      },
      onUpdate: (previous, current) => {
        // Status churn cannot orphan a pod; only a change of owner can.
        if (deploymentRefOf(current) && deploymentRefOf(previous)?.uid !== deploymentRefOf(current)?.uid) {
          this.queue.add(keyOf(current));
        }
      },
    });
    this.deployments.addHandlers({
      onUpdate: (previous, current) => {
        // A relist may fold delete + re-create (same name, new uid) into one update.
        if (previous.metadata.uid !== current.metadata.uid) this.enqueueDependents(previous);
      },
      onDelete: (deployment) => this.enqueueDependents(deployment),
    });
  }

  /** Deletes the pod `key` if its controlling Deployment is gone. */
  async sync(key: string): Promise<void> {
    const pod = this.pods.get(key);
    const ref = pod ? deploymentRefOf(pod) : undefined;
    if (!pod || !ref) return;
    const namespace = pod.metadata.namespace ?? 'default';
    const cachedOwner = this.deployments.get(`${namespace}/${ref.name}`);
    if (cachedOwner?.metadata.uid === ref.uid) return;
    // The cache says the owner is gone, but the deployment informer may simply
    // be behind the pod informer (owner just created by another writer):
    // deleting is irreversible, so confirm with a read from the store first.
    const liveOwner = await this.objects.get<Deployment>(DEPLOYMENT, namespace, ref.name);
    if (liveOwner?.metadata.uid === ref.uid) return;

    let target: Immutable<Pod> = pod;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.objects.delete(POD, namespace, target.metadata.name, Number(target.metadata.resourceVersion));
        this.log.info(
          { controller: 'garbage-collector', pod: key, owner: `deployment/${ref.name}`, ownerUid: ref.uid },
          'deleted pod whose owner is gone',
        );
        return;
      } catch (error) {
        if (error instanceof NotFoundError) return;
        if (!(error instanceof ConflictError) || attempt >= DELETE_ATTEMPTS) throw error;
      }
      // The pod changed since it was read (status report, binding): re-read
      // and delete that version, unless it is no longer the same orphan.
      const fresh = await this.objects.get<Pod>(POD, namespace, target.metadata.name);
      if (!fresh || deploymentRefOf(fresh)?.uid !== ref.uid) return;
      target = fresh;
    }
  }

  private enqueueDependents(deployment: Immutable<Deployment>): void {
    const uid = deployment.metadata.uid;
    if (!uid) return;
    for (const pod of this.pods.byIndex(CONTROLLER_UID_INDEX, uid)) this.queue.add(keyOf(pod));
  }
}
