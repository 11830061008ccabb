// What Skiff's owner-following controllers share: informer handlers queue
// keys, workers run sync(key) once every informer they read has synced.
import type { ObjectStore } from '../objects/object-store.js';
import { runController, type RunningController } from '../cache/controller.js';
import { silentLogger, type ControllerLogger } from '../cache/logger.js';
import { WorkQueue, type WorkQueueOptions } from '../cache/work-queue.js';

export interface QueueControllerOptions {
  readonly objects: ObjectStore;
  readonly log?: ControllerLogger;
  /** Keys synced concurrently (default 2). */
  readonly workers?: number;
  readonly queue?: WorkQueueOptions;
}

export abstract class QueueController {
  readonly queue: WorkQueue;
  protected readonly objects: ObjectStore;
  protected readonly log: ControllerLogger;
  private readonly workers: number;
  private running: RunningController | undefined;

  constructor(
    protected readonly name: string,
    options: QueueControllerOptions,
    private readonly caches: readonly { waitForSync(): Promise<void> }[],
  ) {
    this.objects = options.objects;
    this.log = options.log ?? silentLogger;
    this.workers = options.workers ?? 2;
    this.queue = new WorkQueue(options.queue);
  }

  /** Registers the informer handlers and starts the workers once the informers have synced. */
  start(): void {
    if (this.running) throw new Error(`${this.name} controller already started`);
    this.registerHandlers();
    this.running = runController({
      name: this.name,
      queue: this.queue,
      sync: (key) => this.sync(key),
      workers: this.workers,
      log: this.log,
      ready: Promise.all(this.caches.map((cache) => cache.waitForSync())).then(() => {}),
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
