// The one place informers are made (client-go's SharedInformerFactory): one
// informer per kind for the whole control plane, however many controllers,
// the scheduler and the node judge read it (the leader's, per term, through an
// InformerScope that removes their handlers when the term ends). Loops ask for informers and add
// their handlers first; start() then starts them all, so every handler sees
// the initial list as adds.
import { kindInfo, type KindName, type ResourceObject } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import { ListWatchInformer, type InformerOptions } from './informer.js';
import type { InformerSource, SharedInformers } from './informer-scope.js';
import { silentLogger, type ControllerLogger } from './logger.js';

export interface InformerFactoryOptions {
  readonly objects: ObjectStore;
  readonly log?: ControllerLogger;
  /** Relist back-off for every informer (tests shorten it). */
  readonly relistBackoff?: InformerOptions['relistBackoff'];
}

export class InformerFactory implements InformerSource, SharedInformers {
  private readonly informers = new Map<KindName, ListWatchInformer<ResourceObject>>();
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: InformerFactoryOptions) {}

  /** The shared informer of `kind`; created on first use, started by start() (or at once if already started). */
  informerFor<T extends ResourceObject>(kind: KindName): ListWatchInformer<T> {
    let informer = this.informers.get(kind);
    if (!informer) {
      const { objects, relistBackoff } = this.options;
      informer = new ListWatchInformer<ResourceObject>({
        objects,
        info: kindInfo(kind),
        log: this.options.log ?? silentLogger,
        ...(relistBackoff ? { relistBackoff } : {}),
      });
      this.informers.set(kind, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as ListWatchInformer<T>;
  }

  /** Starts every informer made so far, and any made later. */
  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves once every informer holds a full copy of its kind. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync()));
  }

  /** Stops every informer (after the loops reading them have stopped). */
  stop(): Promise<void> {
    this.stopping ??= Promise.all([...this.informers.values()].map((informer) => informer.stop())).then(() => undefined);
    return this.stopping;
  }
}
