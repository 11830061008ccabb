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
import { kindInfo, type Deployment, type Pod } from '@skiff/api';
import { ConflictError, NotFoundError } from '../errors.js';
import type { ObjectStore } from '../registry/object-store.js';
import { runController, type RunningController } from './controller.js';
import { CONTROLLER_UID_INDEX, deploymentRefOf, ensureControllerUidIndex } from './deployment-pods.js';
import { keyOf, type Immutable, type Informer } from './informer.js';
import { silentLogger, type ControllerLogger } from './logger.js';
import { WorkQueue, type WorkQueueOptions } from './work-queue.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
/** Deletes that lose a compare-and-swap (the pod changed) re-read and try again this often. */
const DELETE_ATTEMPTS = 5;

export interface GarbageCollectorOptions {
  readonly objects: ObjectStore;
  readonly deployments: Informer<Deployment>;
  readonly pods: Informer<Pod>;
  readonly log?: ControllerLogger;
  /** Pods checked concurrently (default 2). */
  readonly workers?: number;
  readonly queue?: WorkQueueOptions;
}

export class GarbageCollector {
  /** Keys are pod keys ("namespace/name"). */
  readonly queue: WorkQueue;
  private readonly objects: ObjectStore;
  private readonly deployments: Informer<Deployment>;
  private readonly pods: Informer<Pod>;
  private readonly log: ControllerLogger;
  private readonly workers: number;
  private running: RunningController | undefined;

  constructor(options: GarbageCollectorOptions) {
    this.objects = options.objects;
    this.deployments = options.deployments;
    this.pods = options.pods;
    this.log = options.log ?? silentLogger;
    this.workers = options.workers ?? 2;
    this.queue = new WorkQueue(options.queue);
    ensureControllerUidIndex(this.pods);
  }

  start(): void {
    if (this.running) throw new Error('garbage collector already started');
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
    this.running = runController({
      name: 'garbage-collector',
      queue: this.queue,
      sync: (key) => this.sync(key),
      workers: this.workers,
      log: this.log,
      ready: Promise.all([this.deployments.waitForSync(), this.pods.waitForSync()]).then(() => {}),
    });
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.running?.stop();
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
