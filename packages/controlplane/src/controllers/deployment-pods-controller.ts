// What the deployment controller and the garbage collector share: both watch
// Deployments and the Pods they own, queue keys from informer handlers, and
// run workers once both caches are full.
import type { Deployment, Pod } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import { runController, type RunningController } from '../cache/controller.js';
import { ensureControllerUidIndex } from './deployment-pods.js';
import type { Informer } from '../cache/informer.js';
import { silentLogger, type ControllerLogger } from '../cache/logger.js';
import { WorkQueue, type WorkQueueOptions } from '../cache/work-queue.js';

export interface DeploymentPodsControllerOptions {
  readonly objects: ObjectStore;
  readonly deployments: Informer<Deployment>;
  readonly pods: Informer<Pod>;
  readonly log?: ControllerLogger;
  /** Keys synced concurrently (default 2). */
  readonly workers?: number;
  readonly queue?: WorkQueueOptions;
}

export abstract class DeploymentPodsController {
  readonly queue: WorkQueue;
  protected readonly objects: ObjectStore;
  protected readonly deployments: Informer<Deployment>;
  protected readonly pods: Informer<Pod>;
  protected readonly log: ControllerLogger;
  private readonly workers: number;
  private running: RunningController | undefined;

  constructor(
    private readonly name: string,
    options: DeploymentPodsControllerOptions,
  ) {
    this.objects = options.objects;
    this.deployments = options.deployments;
    this.pods = options.pods;
    this.log = options.log ?? silentLogger;
    this.workers = options.workers ?? 2;
    this.queue = new WorkQueue(options.queue);
    ensureControllerUidIndex(this.pods);
  }

  /** Registers the informer handlers and starts the workers once both informers have synced. */
  start(): void {
    if (this.running) throw new Error(`${this.name} controller already started`);
    this.registerHandlers();
    this.running = runController({
      name: this.name,
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

  /** Level-triggered: reads everything it needs from the caches (and the store when it must be sure). */
  abstract sync(key: string): Promise<void>;

  /** Informer handlers only enqueue keys. */
  protected abstract registerHandlers(): void;
}
