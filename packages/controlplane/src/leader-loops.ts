// The loops only the leader runs: the controllers, the scheduler, the node
// judge (node lifecycle) and the compactor. They are built afresh for each
// term, over a store fenced at that term (cache/fenced-store.ts), so a stopped
// set never needs restarting and a deposed leader's late writes fail in etcd.
// They read the process's shared informers (the API side's caches) through a
// scope that drops their handlers when the term ends: one copy of every pod
// and node per control plane, and a new term needs no relist. Terms run one at
// a time: a new term starts only after the previous one's loops have stopped.
import type { Node, Pod } from '@skiff/api';
import type { Logger } from 'pino';
import { FencedStore, InformerScope, type NodeLiveness, type SharedInformers } from './cache/index.js';
import { NodeLifecycleController, startControllers } from './controllers/index.js';
import type { ResourceMetricsStore } from './metrics/index.js';
import { EventRecorder } from './objects/event-recorder.js';
import { ObjectStore, type ObjectStoreOptions } from './objects/object-store.js';
import { Scheduler, type Strategy } from './scheduler/index.js';
import { Compactor, MAX_TXN_OPS, type Store } from './store/index.js';

/** A loop built once and run only while leading (e.g. etcd's defragmentation): started each term, stopped at its end. */
export interface LeaderService {
  start(): void;
  stop(): Promise<void>;
}

export interface LeaderLoopsConfig {
  readonly store: Store;
  /** The process's informers (its InformerFactory), read by every term's loops; started and stopped by their owner. */
  readonly informers: SharedInformers;
  /** Started after the term's loops, stopped before them. */
  readonly services?: readonly LeaderService[];
  readonly objectOptions: ObjectStoreOptions;
  /** The election key, whose revision fences each term's writes; undefined without leader election (writes unfenced). */
  readonly electionKey?: string;
  /** Shared with the node registrar (heartbeats land in it); reset at each term so every node gets a full grace. */
  readonly liveness: NodeLiveness;
  readonly podMetrics: ResourceMetricsStore;
  readonly schedulingStrategy: Strategy;
  readonly leaseDurationMs: number;
  readonly podEvictionTimeoutMs: number;
  readonly hpaSyncPeriodMs?: number;
  readonly jobBackoffBaseMs?: number;
  readonly compactionIntervalMs?: number;
  readonly log: Logger;
}

interface RunningTerm {
  readonly term: number;
  /** Refuses the term's writes at once, without waiting for the loops to wind down. */
  fenceOff(): void;
  stop(): Promise<void>;
}

export class LeaderLoops {
  private running?: RunningTerm;
  /** Starts and stops, in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly config: LeaderLoopsConfig) {}

  /** Starts the loops for `term` (0 without leader election), once the previous term's have stopped. */
  start(term: number): Promise<void> {
    return this.enqueue(async () => {
      await this.stopRunning();
      this.running = this.build(term);
      this.config.log.info({ term }, 'leader loops started');
    });
  }

  /** Stops the loops of `term` (any term when undefined); resolves once they stopped. */
  stop(term?: number): Promise<void> {
    // A deposed leader stops writing now, synchronously: its loops may take a while to stop.
    if (term === undefined || this.running?.term === term) this.running?.fenceOff();
    return this.enqueue(async () => {
      if (term === undefined || this.running?.term === term) await this.stopRunning();
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch((error: unknown) => this.config.log.error({ err: error }, 'leader loops: start or stop failed'));
    return next;
  }

  private async stopRunning(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    await running.stop();
    this.config.log.info({ term: running.term }, 'leader loops stopped');
  }

  private build(term: number): RunningTerm {
    const { config } = this;
    const log = config.log.child({ term });
    const fenced = config.electionKey === undefined ? undefined : new FencedStore(config.store, { key: config.electionKey, term });
    const store = fenced ?? config.store;
    const objects = new ObjectStore(store, config.objectOptions);
    const informers = new InformerScope(config.informers);
    const controllers = startControllers({
      objects,
      informers,
      log,
      podMetrics: config.podMetrics,
      ...(config.hpaSyncPeriodMs !== undefined ? { hpa: { resyncMs: config.hpaSyncPeriodMs } } : {}),
      ...(config.jobBackoffBaseMs === undefined ? {} : { jobBackoffBaseMs: config.jobBackoffBaseMs }),
    });
    const scheduler = new Scheduler({
      objects,
      pods: informers.informerFor<Pod>('Pod'),
      nodes: informers.informerFor<Node>('Node'),
      events: new EventRecorder(objects),
      strategy: config.schedulingStrategy,
      log,
      // The fence takes one of the transaction's operations.
      ...(fenced ? { batchSize: MAX_TXN_OPS - 1, term } : {}),
    });
    scheduler.start();
    // A new leader has heard from nobody yet: every node gets a full lease before it is judged.
    config.liveness.reset();
    const nodeLifecycle = new NodeLifecycleController({
      objects,
      nodes: informers.informerFor<Node>('Node'),
      liveness: config.liveness,
      pods: informers.informerFor<Pod>('Pod'),
      events: new EventRecorder(objects),
      log,
      leaseDurationMs: config.leaseDurationMs,
      podEvictionTimeoutMs: config.podEvictionTimeoutMs,
      storeHealthy: () => config.store.ping(500),
    });
    nodeLifecycle.start();
    const compactor =
      config.compactionIntervalMs === 0
        ? undefined
        : new Compactor({
            store,
            ...(config.compactionIntervalMs !== undefined ? { intervalMs: config.compactionIntervalMs } : {}),
            log: log.child({ component: 'compactor' }),
          });
    compactor?.start();
    for (const service of config.services ?? []) service.start();
    return {
      term,
      fenceOff: () => fenced?.endTerm(),
      stop: async () => {
        // Refuse writes at once (an in-flight one fails at etcd's check anyway), then wind the loops down.
        fenced?.endTerm();
        await Promise.all((config.services ?? []).map((service) => service.stop()));
        await compactor?.stop();
        await nodeLifecycle.stop();
        await scheduler.stop();
        await controllers.stop();
        informers.close();
      },
    };
  }
}
