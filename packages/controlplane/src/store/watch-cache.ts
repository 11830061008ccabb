// A Store that serves lists and watches from memory, as kube-apiserver's
// watch cache (the "cacher") does: one upstream watch of the whole keyspace
// feeds a copy of every key at a revision plus a bounded window of recent
// events (watch-cache-state.ts). Writes and consistent gets go to the inner
// store unchanged.
//
// Why a Store decorator, in store/: it speaks the Store contract on both
// sides, so the API's reads, the in-process informers and the scheduler all
// read through it without knowing (one etcd watch instead of one per kind and
// per client), and it passes the same contract suite as EtcdStore. It holds
// the raw values once, shared; decoding stays in objects/.
//
// Why it watches the whole keyspace: every etcd revision is a write to some
// key, so the cache sees every revision as an event and a consistent read can
// wait for "the cache reached etcd's current revision". A narrower watch would
// wait for revisions it never sees (etcd's progress requests would tell it;
// Kubernetes trusts them from etcd 3.4.31 and 3.5.13, Debian ships 3.4.23).
// What it holds is narrower: only keys under `keyspace` (the control plane's
// /skiff/), so another tenant of a shared etcd costs a revision number per
// write, not a copy of its data; reads outside the keyspace go to the store.
//
// Freshness (ReadOptions, Kubernetes' resourceVersion semantics, with
// ConsistentListFromCache as in Kubernetes ≥ 1.31):
//  - list, minRevision undefined (""): ask the inner store for its current
//    revision (a cheap count-only read), wait until the cache has it, answer
//    from memory;
//  - minRevision 0 ("0"): whatever the cache holds (once it has synced);
//  - minRevision N: wait until the cache reached N.
//  If the cache does not catch up within `freshnessTimeoutMs` (3 s, as
//  Kubernetes), the read goes to the inner store instead.
//  - get, minRevision undefined: the inner store (Kubernetes serves a
//    consistent get from etcd too); with a minRevision, from memory.
// Paged lists (ListOptions): a first page is served as above, a page at a
// pinned revision (a continue token's) from memory only while the cache is
// exactly at that revision, otherwise by the inner store at that revision.
// Watches: one after a revision still in the window is replayed from it and
// then fed live; one older than the window gets onCompacted with the oldest
// revision the window holds, and the client relists (as after an etcd
// compaction). compact() through this store trims the window the same way.
// A live watch's progress() is the cache's revision: it sees every write of
// the keyspace, so a Kubernetes bookmark moves on with writes to other kinds.
import { BACKOFF, Backoff, UnavailableError, messageOf } from '@skiff/api';
import { pageOf } from './list-page.js';
import { onEventThrew, requireListOptions, requireWatchRevision } from './store-rules.js';
import { ForwardingStore } from './forwarding-store.js';
import type { KeyValue, ListOptions, ListResult, ReadOptions, Store, StoreEvent, WatchCallbacks, WatchHandle, WatchOptions } from './store.js';
import { keyOfEvent, revisionOf, WatchCacheState } from './watch-cache-state.js';

/** Kubernetes keeps at least 100 events per resource and grows with load; one window for every kind here. */
export const DEFAULT_WATCH_CACHE_SIZE = 10_000;
/** How long a read waits for the cache to catch up before reading the inner store (Kubernetes: 3 s). */
export const DEFAULT_FRESHNESS_TIMEOUT_MS = 3_000;

export interface WatchCacheOptions {
  /** Events kept for watches resuming from the past (--watch-cache-size). */
  readonly windowSize?: number;
  readonly freshnessTimeoutMs?: number;
  /** Told when the upstream watch ended and the cache relists. */
  readonly onRelist?: (reason: string) => void;
  /** The keys held and served from memory (default '': all); events elsewhere only advance the revision. */
  readonly keyspace?: string;
}

interface Waiter {
  readonly revision: number;
  readonly resolve: (reached: boolean) => void;
  readonly reject: (error: Error) => void;
}

export class WatchCache extends ForwardingStore {
  private readonly state: WatchCacheState;
  private readonly freshnessTimeoutMs: number;
  private readonly watchers = new Set<CacheWatch>();
  private waiters: Waiter[] = [];
  private readonly backoff = new Backoff(BACKOFF.storeWatch);
  private upstream: WatchHandle | undefined;
  /** Bumped on every relist, so a replaced upstream's late callbacks are ignored. */
  private generation = 0;
  private synced = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly keyspace: string;

  constructor(
    inner: Store,
    private readonly options: WatchCacheOptions = {},
  ) {
    super(inner);
    this.state = new WatchCacheState(options.windowSize ?? DEFAULT_WATCH_CACHE_SIZE);
    this.freshnessTimeoutMs = options.freshnessTimeoutMs ?? DEFAULT_FRESHNESS_TIMEOUT_MS;
    this.keyspace = options.keyspace ?? '';
    void this.relist();
  }

  /** The revision the cache reflects (0 until it has synced). */
  get revision(): number {
    return this.synced ? this.state.revision : 0;
  }

  /** Events in the window (for metrics and tests). */
  get windowLength(): number {
    return this.state.windowLength;
  }

  override async get(key: string, options?: ReadOptions): Promise<KeyValue | undefined> {
    if (options?.minRevision === undefined || !key.startsWith(this.keyspace)) return this.inner.get(key, options);
    if (!(await this.fresh(options.minRevision))) return this.inner.get(key, options);
    return this.state.get(key);
  }

  override async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    requireListOptions(prefix, options);
    if (!prefix.startsWith(this.keyspace)) return this.inner.list(prefix, options);
    const { limit, fromKey, revision } = options;
    const page = { ...(limit !== undefined ? { limit } : {}), ...(fromKey !== undefined ? { fromKey } : {}) };
    if (revision !== undefined) {
      // A later page of a list: from memory while the cache is still exactly
      // at its revision, otherwise from the store at that revision (as
      // Kubernetes sends continuations to etcd).
      if (this.synced && !this.closed && this.state.revision === revision) return this.fromMemory(prefix, page);
      return this.inner.list(prefix, options);
    }
    const minRevision = options.minRevision ?? (await this.whenOpen(() => this.inner.currentRevision()));
    if (!(await this.fresh(minRevision))) return this.inner.list(prefix, page);
    return this.fromMemory(prefix, page);
  }

  /** Watches of the keyspace carry `prev` always (the cache has it for free), whatever `options` say. */
  override watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks, options?: WatchOptions): WatchHandle {
    requireWatchRevision(afterRevision);
    if (this.closed) throw new UnavailableError('the store is closed');
    if (!prefix.startsWith(this.keyspace)) return this.inner.watch(prefix, afterRevision, callbacks, options);
    const watch = new CacheWatch(prefix, afterRevision, callbacks, () => this.watchers.delete(watch), () => this.state.revision);
    this.watchers.add(watch);
    // Replayed later, never inside watch(): the caller has its handle before any event.
    if (this.synced) queueMicrotask(() => this.activate(watch));
    return watch;
  }

  override async compact(revision: number): Promise<void> {
    // Let the cache's own watch get past `revision` first, so the compaction
    // never cancels it (which would make every client relist).
    // (A future revision is the inner store's error to give, without waiting.)
    if (!this.closed) await this.fresh(Math.min(revision, await this.inner.currentRevision()));
    await this.inner.compact(revision);
    // Live watches are fed from memory, so they are caught up and carry on
    // (as in etcd); watches not yet replayed are checked when they are.
    this.state.compact(revision);
  }

  override async close(): Promise<void> {
    if (this.closed) return this.inner.close();
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.generation++;
    for (const watch of [...this.watchers]) void watch.close();
    this.settleWaiters(true);
    const upstream = this.upstream;
    this.upstream = undefined;
    await upstream?.close();
    await this.inner.close();
  }

  /** A page of what the cache holds now (synchronously: no event is applied in between). */
  private fromMemory(prefix: string, page: ListOptions): ListResult {
    return { ...pageOf(this.state.list(prefix), page), revision: this.state.revision };
  }

  private whenOpen<T>(read: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the store is closed'));
    return read();
  }

  /** True once the cache holds `revision`; false if it has not synced yet or did not catch up in time. */
  private fresh(revision: number): Promise<boolean> {
    if (this.closed) return Promise.reject(new UnavailableError('the store is closed'));
    // Until its first list the cache has nothing to offer: read the inner store at once.
    if (!this.synced) return Promise.resolve(false);
    if (this.state.revision >= revision) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        resolve(false);
      }, this.freshnessTimeoutMs);
      const entry: Waiter = {
        revision,
        resolve: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(entry);
    });
  }

  private settleWaiters(closing: boolean): void {
    if (closing) {
      // A closing store fails the reads as the inner store will (it is closing too).
      for (const waiter of this.waiters.splice(0)) waiter.reject(new UnavailableError('the store is closed'));
      return;
    }
    // Runs on every upstream event: nothing to allocate when no read waits.
    if (this.waiters.length === 0) return;
    const reached = this.waiters.filter((waiter) => waiter.revision <= this.state.revision);
    if (reached.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => !reached.includes(waiter));
    for (const waiter of reached) waiter.resolve(true);
  }

  /** Lists the whole keyspace and watches from there; on any end of that watch, does it again. */
  private async relist(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    const old = this.upstream;
    this.upstream = undefined;
    void old?.close().catch(() => {});
    let listed: ListResult;
    try {
      listed = await this.inner.list(this.keyspace);
    } catch (error) {
      this.retry(generation, `list failed: ${messageOf(error)}`);
      return;
    }
    if (generation !== this.generation || this.closed) return;
    const wasSynced = this.synced;
    this.state.reset(listed.items, listed.revision);
    this.synced = true;
    // Watches fed before this relist missed what happened in between: they relist too.
    for (const watch of [...this.watchers]) {
      if (wasSynced && watch.live) watch.compacted(this.state.compactRevision);
      else if (!watch.live) this.activate(watch);
    }
    try {
      this.upstream = this.inner.watch('', listed.revision, {
        onEvent: (event) => {
          if (generation === this.generation) this.onUpstreamEvent(event);
        },
        onCompacted: (revision) => this.retry(generation, `the upstream watch was compacted at ${revision}`),
        onError: (error) => this.retry(generation, `the upstream watch failed: ${messageOf(error)}`),
        // The state holds every value of the keyspace and sets each event's `prev` from it.
      }, { previous: false });
    } catch (error) {
      this.retry(generation, `watch failed: ${messageOf(error)}`);
      return;
    }
    this.backoff.reset();
    this.settleWaiters(false);
  }

  private retry(generation: number, reason: string): void {
    if (generation !== this.generation || this.closed) return;
    this.generation++;
    this.options.onRelist?.(reason);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.relist(), this.backoff.next());
  }

  private onUpstreamEvent(incoming: StoreEvent): void {
    if (keyOfEvent(incoming).startsWith(this.keyspace)) {
      const event = this.state.apply(incoming);
      for (const watch of this.watchers) if (watch.live) watch.deliver(event);
    } else {
      this.state.advance(revisionOf(incoming));
    }
    // Waiters resume in later microtasks: the rest of this revision's events,
    // delivered in the same synchronous loop, are applied before any read runs.
    this.settleWaiters(false);
  }

  /** Replays a new watch from the window (or says it is too old) and then feeds it live. */
  private activate(watch: CacheWatch): void {
    if (watch.over || watch.live || !this.synced) return;
    if (watch.after + 1 < this.state.compactRevision) {
      watch.compacted(this.state.compactRevision);
      return;
    }
    for (const event of this.state.eventsAfter(watch.after)) {
      watch.deliver(event);
      if (watch.over) return;
    }
    watch.live = true;
  }
}

/** One watch served from the cache. */
class CacheWatch implements WatchHandle {
  live = false;
  over = false;

  constructor(
    private readonly prefix: string,
    /** Delivers events with a revision above this. */
    readonly after: number,
    private readonly callbacks: WatchCallbacks,
    private readonly onOver: () => void,
    /** The revision the cache reflects: a live watch was handed every event up to it. */
    private readonly cacheRevision: () => number,
  ) {}

  /**
   * Once live, the cache's revision (every upstream event is handed to every
   * live watch in the same synchronous loop that applies it, so this watch has
   * seen all of its own up to there); until its replay, where it starts.
   */
  progress(): number {
    return this.live ? Math.max(this.after, this.cacheRevision()) : this.after;
  }

  deliver(event: StoreEvent): void {
    if (this.over) return;
    if (revisionOf(event) <= this.after || !keyOfEvent(event).startsWith(this.prefix)) return;
    try {
      this.callbacks.onEvent(event);
    } catch (error) {
      this.finish();
      this.callbacks.onError(onEventThrew(this.prefix, error));
    }
  }

  compacted(compactRevision: number): void {
    if (this.over) return;
    this.finish();
    this.callbacks.onCompacted(compactRevision);
  }

  close(): Promise<void> {
    this.finish();
    return Promise.resolve();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.onOver();
  }
}
