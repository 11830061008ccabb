// The scheduler's control loop: pending pods from the pod informer, nodes from
// the node informer, decisions from the pure pipeline (schedule.ts, through
// placement-memo.ts for pods shaped like the last ones), assumed in
// the cache so the next decision sees them, then bound in batches — one etcd
// transaction of compare-and-swaps per batch. Pods that fit nowhere get an
// event naming why, per reason, and are retried whenever the cluster changes.
import { BatchConflictError, isTerminalPod, kindInfo, type Node, type Pod, type PodStatus } from '@skiff/api';
import type { EventRecorder } from '../objects/event-recorder.js';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { ControllerLogger } from '../cache/logger.js';
import type { ObjectStore } from '../objects/object-store.js';
import { podToPlace } from './pod-to-place.js';
import { PlacementMemo } from './placement-memo.js';
import { describeUnschedulable, type Strategy } from './schedule.js';
import { SchedulerCache } from './scheduler-cache.js';

const POD = kindInfo('Pod');
/** etcd allows 128 operations per transaction. */
const MAX_BATCH = 128;
/** Bind transactions in etcd at once; more batches are decided meanwhile. */
export const BINDS_IN_FLIGHT = 4;
/** Unschedulable pods are retried on every cluster change, and at least this often; the sweep runs as often. */
const UNSCHEDULABLE_RETRY_MS = 10_000;

export interface SchedulerOptions {
  readonly objects: ObjectStore;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly events: EventRecorder;
  readonly strategy: Strategy;
  readonly log: ControllerLogger;
  readonly batchSize?: number;
  /** The leader's term (leader election): said in each binding's PodScheduled condition, so a bind can be checked against the term it was made in. */
  readonly term?: number;
  /** How often unschedulable pods are retried and the pending pods swept (default 10 s; tests shorten it). */
  readonly retryIntervalMs?: number;
}

export class Scheduler {
  private readonly cache = new SchedulerCache();
  private readonly memo: PlacementMemo;
  private readonly pending = new Set<string>();
  private readonly unschedulable = new Map<string, string>();
  private running?: Promise<void>;
  private stopped = false;
  private synced = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly options: SchedulerOptions) {
    this.memo = new PlacementMemo(this.cache, options.strategy);
  }

  start(): void {
    const { pods, nodes } = this.options;
    // Nodes first: informers that have synced already (a new leader's term
    // reads the shared ones) replay their objects inside addHandlers, and a
    // pending pod replayed before any node would be decided against none.
    nodes.addHandlers({
      onAdd: (node) => this.nodeChanged(node),
      onUpdate: (_previous, node) => this.nodeChanged(node),
      onDelete: (node) => {
        this.cache.removeNode(node.metadata.name);
        this.clusterChanged();
      },
    });
    pods.addHandlers({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (_previous, pod) => this.podChanged(pod),
      onDelete: (pod) => {
        const key = keyOf(pod);
        // Only a pod that held resources on a node frees any (as Kubernetes'
        // AssignedPodDelete event): deleting 1,200 pods that never got a node
        // retried (and re-reported, an event each) every waiting pod 1,200 times.
        const freed = this.cache.nodeOf(key) !== undefined;
        this.cache.removePod(key);
        this.pending.delete(key);
        this.unschedulable.delete(key);
        if (freed) this.clusterChanged();
      },
    });
    this.retryTimer = setInterval(() => {
      this.sweep();
      this.clusterChanged();
    }, this.options.retryIntervalMs ?? UNSCHEDULABLE_RETRY_MS);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.retryTimer);
    await this.running;
  }

  private podChanged(pod: Immutable<Pod>): void {
    const key = keyOf(pod);
    if (pod.spec.nodeName) {
      // Read, not kept: the cache takes the node name and the parsed requests (no copy per event).
      this.cache.addPod(pod as Pod);
      this.pending.delete(key);
      this.unschedulable.delete(key);
      if (isTerminalPod(pod)) this.clusterChanged();
      return;
    }
    if (pod.metadata.deletionTimestamp || this.unschedulable.has(key)) return;
    this.pending.add(key);
    this.kick();
  }

  private nodeChanged(node: Immutable<Node>): void {
    this.cache.setNode(thaw<Node>(node));
    this.clusterChanged();
  }

  /**
   * Level-triggered, as a controller's resync: every pod waiting for a node
   * that no event has queued (neither pending, assumed nor unschedulable) is
   * queued now, and said — there should be none, so a warning here points at
   * an event that went missing (a chaos test saw pods left Pending after a
   * leader change). A scan of the informer's cache, no etcd read.
   */
  private sweep(): void {
    if (this.stopped || !this.options.pods.hasSynced()) return;
    const found: string[] = [];
    for (const pod of this.options.pods.list()) {
      const key = keyOf(pod);
      if (pod.spec.nodeName || pod.metadata.deletionTimestamp || isTerminalPod(pod)) continue;
      if (this.pending.has(key) || this.unschedulable.has(key) || this.cache.isAssumed(key)) continue;
      this.pending.add(key);
      found.push(key);
    }
    if (found.length === 0) return;
    this.options.log.warn({ pods: found.slice(0, 10), count: found.length, draining: this.running !== undefined }, 'scheduler sweep queued pending pods that no event had queued');
    this.kick();
  }

  /** Something freed or added capacity: every unschedulable pod gets another chance. */
  private clusterChanged(): void {
    if (this.unschedulable.size === 0) return;
    for (const key of this.unschedulable.keys()) this.pending.add(key);
    this.unschedulable.clear();
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    // Decided in a later microtask, never inside a handler: an informer replays
    // its whole cache within addHandlers, and the first pending pod must not be
    // decided before the bound pods replayed after it are counted.
    this.running = Promise.resolve()
      .then(() => this.drain())
      .catch((error: unknown) => this.options.log.error({ err: error }, 'scheduling pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.pending.size > 0 && !this.stopped) setTimeout(() => this.kick(), 100).unref();
      });
  }

  private async drain(): Promise<void> {
    const batchSize = Math.min(this.options.batchSize ?? MAX_BATCH, MAX_BATCH);
    // Wait for full informer caches: deciding on half a picture double-books nodes.
    if (!this.options.pods.hasSynced() || !this.options.nodes.hasSynced()) {
      await Promise.all([this.options.pods.waitForSync(), this.options.nodes.waitForSync()]);
    }
    if (!this.synced) {
      // Once per start: when scheduling begins, and with how much to do (bench:scheduler times from here).
      this.synced = true;
      this.options.log.info({ pending: this.pending.size, nodes: this.cache.nodesView().length }, 'scheduler started: caches synced');
    }
    // Binds are pipelined: the next batch is decided (against the cache, which
    // already counts the assumed pods) while earlier ones are in etcd.
    const binding = new Set<Promise<void>>();
    let failure: unknown;
    while (this.pending.size > 0 && !this.stopped && failure === undefined) {
      const batch: { pod: Pod; node: string }[] = [];
      // Decisions are synchronous (an await per pod cost a microtask turn each);
      // the condition writes of the pods found unschedulable are awaited after them.
      const reports: Promise<void>[] = [];
      for (const key of this.pending) {
        if (batch.length >= batchSize) break;
        this.pending.delete(key);
        const placed = this.decide(key, reports);
        if (placed) batch.push(placed);
      }
      if (reports.length > 0) await Promise.all(reports);
      if (batch.length > 0) {
        const bound: Promise<void> = this.bind(batch)
          .catch((error: unknown) => void (failure ??= error))
          .finally(() => binding.delete(bound));
        binding.add(bound);
      }
      if (binding.size >= BINDS_IN_FLIGHT || (this.pending.size === 0 && binding.size > 0)) await Promise.race(binding);
    }
    await Promise.all(binding);
    if (failure !== undefined) throw failure;
  }

  /** Places one pod against the cache; a pod found unschedulable adds the write of why to `reports`. */
  private decide(key: string, reports: Promise<void>[]): { pod: Pod; node: string } | undefined {
    const cached = this.options.pods.get(key);
    if (!cached || cached.spec.nodeName || cached.metadata.deletionTimestamp || this.cache.isAssumed(key)) return undefined;
    // The cached pod itself, not a copy: podToPlace copies what it keeps, and
    // the bind writes new top-level objects around the frozen parts it shares.
    const pod = cached as Pod;
    const toPlace = podToPlace(pod);
    const result = this.memo.schedule(toPlace);
    if (result.node !== undefined) {
      this.cache.assume(key, result.node, toPlace.requests);
      return { pod, node: result.node };
    }
    const message = describeUnschedulable(this.cache.nodesView().length, result.reasons);
    const previous = this.unschedulable.get(key);
    this.unschedulable.set(key, message);
    if (previous !== message) reports.push(this.report(key, thaw<Pod>(cached), message));
    return undefined;
  }

  /** Says why the pod waits; when its condition could not be written, it is said again at the next try. */
  private async report(key: string, pod: Pod, message: string): Promise<void> {
    const written = await this.reportUnschedulable(pod, message);
    if (!written && this.unschedulable.get(key) === message) this.unschedulable.set(key, '');
  }

  private async bind(batch: { pod: Pod; node: string }[]): Promise<void> {
    let remaining = batch;
    while (remaining.length > 0) {
      const now = new Date().toISOString();
      const updates = remaining.map(({ pod, node }) => ({
        object: { ...pod, spec: { ...pod.spec, nodeName: node }, status: scheduledStatus(pod, now, this.options.term) },
        expectedRevision: Number(pod.metadata.resourceVersion),
      }));
      try {
        await this.options.objects.updateMany(POD, updates);
        return;
      } catch (error) {
        if (error instanceof BatchConflictError) {
          // That pod changed (or went away) since we read it: drop it from this
          // batch and look at it again with fresh eyes; bind the rest.
          const lost = remaining[error.index];
          if (lost) {
            const key = keyOf(lost.pod);
            this.cache.forget(key);
            this.pending.add(key);
          }
          remaining = remaining.filter((_, i) => i !== error.index);
          continue;
        }
        for (const { pod } of remaining) {
          this.cache.forget(keyOf(pod));
          this.pending.add(keyOf(pod));
        }
        throw error;
      }
    }
  }

  /**
   * As Kubernetes' scheduler: a FailedScheduling event, and the pod's own
   * PodScheduled condition False with reason Unschedulable and the same
   * message (what `get pod -o yaml` and `describe pod` show). The pod is
   * written only when its condition says something else: each retry records
   * the event again (counted), not a pod write. False when the condition could
   * not be written (the pod changed under it, or etcd failed).
   */
  private async reportUnschedulable(pod: Pod, message: string): Promise<boolean> {
    this.options.log.info({ pod: keyOf(pod), message }, 'pod is unschedulable');
    const said = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const alreadySaid = said?.status === 'False' && said.reason === 'Unschedulable' && said.message === message;
    const [, written] = await Promise.all([
      this.options.events.record({ involved: pod, type: 'Warning', reason: 'FailedScheduling', message, component: 'scheduler' }).catch((error: unknown) => {
        this.options.log.warn({ err: error }, 'could not record a FailedScheduling event');
      }),
      alreadySaid ? true : this.writeUnschedulable(pod, message),
    ]);
    return written;
  }

  private async writeUnschedulable(pod: Pod, message: string): Promise<boolean> {
    try {
      await this.options.objects.update(POD, { ...pod, status: unschedulableStatus(pod, message, new Date().toISOString()) }, Number(pod.metadata.resourceVersion));
      return true;
    } catch (error) {
      this.options.log.info({ pod: keyOf(pod), err: error }, "could not say in the pod's status why it is unschedulable; said at the next try");
      return false;
    }
  }
}

/** PodScheduled False, Unschedulable, with why; its transition time kept while it stays False. */
function unschedulableStatus(pod: Pod, message: string, now: string): PodStatus {
  const conditions = pod.status?.conditions ?? [];
  const before = conditions.find((c) => c.type === 'PodScheduled');
  const others = conditions.filter((c) => c.type !== 'PodScheduled');
  const since = before?.status === 'False' && before.lastTransitionTime ? before.lastTransitionTime : now;
  return {
    ...(pod.status ?? {}),
    phase: pod.status?.phase ?? 'Pending',
    conditions: [...others, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: since }],
  };
}

/** Like Kubernetes' binder: the pod says when (and that) it was scheduled. */
function scheduledStatus(pod: Pod, now: string, term: number | undefined): PodStatus {
  const others = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  const scheduled = { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: now };
  return {
    ...(pod.status ?? {}),
    phase: pod.status?.phase ?? 'Pending',
    conditions: [...others, term === undefined ? scheduled : { ...scheduled, message: `bound by the leader of term ${term}` }],
  };
}
