// An informer keeps an in-memory copy of every object of one kind (all
// namespaces) and tells handlers what changed, as Kubernetes' shared informers
// do: list into the cache, then watch from the list's revision so that no
// change between the two is lost. When the watch ends (its revision was
// compacted away, or it failed), the informer lists again and diffs the new
// list against its cache, emitting synthetic add/update/delete events for
// everything that changed meanwhile — handlers never miss a change, they only
// may see several changes folded into one.
//
// Cached objects are deep-frozen and typed `Immutable<T>`: the cache is shared
// by every controller, so a sync that edited a cached object in place would
// corrupt what all the others see (and what the next diff compares against).
// Controllers copy (`thaw`) before building an object to write.
import { BACKOFF, Backoff, type BackoffPolicy, type KindInfo, type ResourceObject } from '@skiff/api';
import type { ObjectEvent, ObjectStore } from '../objects/object-store.js';
import type { WatchHandle } from '../store/store.js';
import { deepFreeze, type Immutable } from './immutable.js';
import { silentLogger, type ControllerLogger } from './logger.js';

export { deepFreeze, thaw, type Immutable } from './immutable.js';

/** The cache and work-queue key of an object: "namespace/name", or "name" when cluster-scoped. */
export function keyOf(object: { readonly metadata: { readonly namespace?: string | undefined; readonly name: string } }): string {
  const { namespace, name } = object.metadata;
  return namespace === undefined ? name : `${namespace}/${name}`;
}

/** Inverse of keyOf. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export interface InformerHandlers<T> {
  onAdd?(object: Immutable<T>): void;
  onUpdate?(previous: Immutable<T>, current: Immutable<T>): void;
  /** Receives the object's last known state. */
  onDelete?(object: Immutable<T>): void;
}

/** Computes the values an object is filed under in a named index (e.g. its owners' uids). */
export type IndexFunction<T> = (object: Immutable<T>) => readonly string[];

export interface InformerOptions {
  readonly objects: ObjectStore;
  readonly info: KindInfo;
  readonly log?: ControllerLogger;
  /**
   * Delay before relisting after consecutive failures (default
   * BACKOFF.informerRelist: 100 ms doubling to 5 s, so a recovered etcd is
   * noticed promptly, jittered so informers that failed together spread out).
   */
  readonly relistBackoff?: BackoffPolicy;
}

interface Index<T> {
  readonly compute: IndexFunction<T>;
  readonly entries: Map<string, Set<string>>;
}

type Change<T> =
  | { readonly type: 'add'; readonly object: Immutable<T> }
  | { readonly type: 'update'; readonly previous: Immutable<T>; readonly object: Immutable<T> }
  | { readonly type: 'delete'; readonly object: Immutable<T> };

/**
 * What a loop reads an informer through (client-go's SharedIndexInformer, the
 * reading half): the cache, its indexes and change notifications. Starting and
 * stopping belong to whoever made it (InformerFactory), not to its readers.
 */
export interface Informer<T extends ResourceObject> {
  /** Registers handlers; objects already cached are replayed to onAdd, so a handler added late sees the same world. */
  addHandlers(handlers: InformerHandlers<T>): void;
  /** Adds a named index; `byIndex(name, value)` then finds objects without scanning the cache. */
  addIndex(name: string, compute: IndexFunction<T>): void;
  hasIndex(name: string): boolean;
  /** True once the first list has been loaded into the cache. */
  hasSynced(): boolean;
  /** Resolves once the first list is cached; rejects if the informer is stopped before that. */
  waitForSync(): Promise<void>;
  /** The store revision the cache currently reflects (0 before the first list). */
  readonly revision: number;
  get(key: string): Immutable<T> | undefined;
  list(): Immutable<T>[];
  listBy(predicate: (object: Immutable<T>) => boolean): Immutable<T>[];
  byIndex(name: string, value: string): Immutable<T>[];
}

export class ListWatchInformer<T extends ResourceObject> implements Informer<T> {
  private readonly objects: ObjectStore;
  private readonly info: KindInfo;
  private readonly log: ControllerLogger;
  private readonly relistBackoff: Backoff;

  private readonly cache = new Map<string, Immutable<T>>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private synced = false;
  private readonly syncWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Store revision the cache reflects. */
  private cacheRevision = 0;

  private watch: WatchHandle | undefined;
  /** Bumped whenever a watch is abandoned, so its late callbacks are ignored. */
  private watchGeneration = 0;
  private watchStartedAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private listing: Promise<void> | undefined;

  constructor(options: InformerOptions) {
    this.objects = options.objects;
    this.info = options.info;
    this.log = options.log ?? silentLogger;
    this.relistBackoff = new Backoff(options.relistBackoff ?? BACKOFF.informerRelist);
  }

  /**
   * Registers handlers. Objects already cached are replayed to onAdd, so a
   * handler added late sees the same world as one added before start().
   */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.add(handlers);
    for (const object of this.cache.values()) this.call(handlers, { type: 'add', object });
  }

  /** Unregisters handlers added with addHandlers (a leader's loops, at the end of their term); they are not called again. */
  removeHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.delete(handlers);
  }

  /** Adds a named index; `byIndex(name, value)` then finds objects without scanning the cache. */
  addIndex(name: string, compute: IndexFunction<T>): void {
    if (this.indexes.has(name)) throw new Error(`informer for ${this.info.plural} already has an index "${name}"`);
    const index: Index<T> = { compute, entries: new Map() };
    this.indexes.set(name, index);
    for (const [key, object] of this.cache) this.fileUnder(index, key, object);
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  start(): void {
    if (this.state !== 'new') throw new Error(`informer for ${this.info.plural} was already started`);
    this.state = 'running';
    this.relist();
  }

  /** True once the first list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is cached; rejects if the informer is stopped before that. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.state === 'stopped') return Promise.reject(this.stoppedError());
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  /** The store revision the cache currently reflects (0 before the first list). */
  get revision(): number {
    return this.cacheRevision;
  }

  get(key: string): Immutable<T> | undefined {
    return this.cache.get(key);
  }

  list(): Immutable<T>[] {
    return [...this.cache.values()];
  }

  listBy(predicate: (object: Immutable<T>) => boolean): Immutable<T>[] {
    const matches: Immutable<T>[] = [];
    for (const object of this.cache.values()) if (predicate(object)) matches.push(object);
    return matches;
  }

  byIndex(name: string, value: string): Immutable<T>[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer for ${this.info.plural} has no index "${name}"`);
    const keys = index.entries.get(value);
    if (!keys) return [];
    const matches: Immutable<T>[] = [];
    for (const key of keys) {
      const object = this.cache.get(key);
      if (object) matches.push(object);
    }
    return matches;
  }

  /** Ends the watch and any pending relist; handlers are not called afterwards. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.watchGeneration += 1;
    const watch = this.watch;
    this.watch = undefined;
    for (const waiter of this.syncWaiters.splice(0)) waiter.reject(this.stoppedError());
    await watch?.close();
    await this.listing;
  }

  // List and watch

  private relist(): void {
    this.retryTimer = undefined;
    if (this.state !== 'running') return;
    this.listing = (async () => {
      let result: { items: T[]; revision: number };
      try {
        result = await this.objects.list<T>(this.info, undefined);
      } catch (error) {
        if (this.state !== 'running') return;
        this.log.warn({ err: error, kind: this.info.kind }, 'informer list failed; retrying');
        this.scheduleRelist(false);
        return;
      }
      if (this.state !== 'running') return;
      this.replaceAll(result.items, result.revision);
      try {
        this.startWatch(result.revision);
      } catch (error) {
        // E.g. the store was closed under us: same remedy as a failed list.
        this.log.warn({ err: error, kind: this.info.kind }, 'informer could not watch; relisting');
        this.scheduleRelist(false);
      }
    })();
  }

  private startWatch(afterRevision: number): void {
    const generation = ++this.watchGeneration;
    const current = (): boolean => generation === this.watchGeneration && this.state === 'running';
    this.watchStartedAt = Date.now();
    this.watch = this.objects.watch(this.info, undefined, afterRevision, {
      onEvent: (event) => {
        if (current()) this.applyEvent(event);
      },
      onCompacted: (compactRevision) => {
        if (!current()) return;
        this.log.info(
          { kind: this.info.kind, revision: this.cacheRevision, compactRevision },
          'informer watch fell behind compaction; relisting',
        );
        this.watchEnded(true);
      },
      onError: (error) => {
        if (!current()) return;
        this.log.warn({ err: error, kind: this.info.kind, revision: this.cacheRevision }, 'informer watch failed; relisting');
        this.watchEnded(false);
      },
    });
  }

  private watchEnded(compacted: boolean): void {
    this.watchGeneration += 1;
    const watch = this.watch;
    this.watch = undefined;
    // The store already ended it; closing again only releases what is left.
    void watch?.close().catch(() => {});
    // A watch that lived longer than the back-off cap was healthy: start the
    // back-off over rather than punish a failure hours later.
    if (Date.now() - this.watchStartedAt >= this.relistBackoff.policy.maxMs) this.relistBackoff.reset();
    // Compaction is routine (the watch merely fell behind), so the first
    // relist is immediate; a loop of them still backs off.
    this.scheduleRelist(compacted && this.relistBackoff.attempts === 0);
  }

  private scheduleRelist(immediate: boolean): void {
    // Jitter keeps many informers that failed together (etcd restart) from relisting in lockstep.
    const wait = this.relistBackoff.next();
    const delay = immediate ? 0 : wait;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.relist(), delay);
  }

  /** Makes the cache equal to a fresh list and reports the difference as events. */
  private replaceAll(items: T[], revision: number): void {
    const changes: Change<T>[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const object = deepFreeze(item) as Immutable<T>;
      const key = keyOf(item);
      seen.add(key);
      const previous = this.cache.get(key);
      if (!previous) {
        changes.push({ type: 'add', object });
      } else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
        changes.push({ type: 'update', previous, object });
      } else {
        continue;
      }
      this.store(key, object);
    }
    for (const [key, object] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.remove(key);
      changes.push({ type: 'delete', object });
    }
    this.cacheRevision = revision;
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter.resolve();
    }
    // Handlers run after the whole list is cached, so a handler that looks
    // around the cache sees the new state, not half of it.
    for (const change of changes) this.notify(change);
  }

  private applyEvent(event: ObjectEvent): void {
    const object = deepFreeze(event.object as T) as Immutable<T>;
    const key = keyOf(event.object);
    const previous = this.cache.get(key);
    this.cacheRevision = Math.max(this.cacheRevision, event.revision);
    if (event.type === 'DELETED') {
      if (!previous) return;
      this.remove(key);
      this.notify({ type: 'delete', object });
      return;
    }
    // The same version twice carries no news (defensive: the store delivers each event once).
    if (previous?.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.store(key, object);
    this.notify(previous ? { type: 'update', previous, object } : { type: 'add', object });
  }

  // Cache and indexes

  private store(key: string, object: Immutable<T>): void {
    const previous = this.cache.get(key);
    this.cache.set(key, object);
    for (const index of this.indexes.values()) {
      if (previous) this.unfile(index, key, previous);
      this.fileUnder(index, key, object);
    }
  }

  private remove(key: string): void {
    const previous = this.cache.get(key);
    if (!previous) return;
    this.cache.delete(key);
    for (const index of this.indexes.values()) this.unfile(index, key, previous);
  }

  private fileUnder(index: Index<T>, key: string, object: Immutable<T>): void {
    for (const value of index.compute(object)) {
      let keys = index.entries.get(value);
      if (!keys) index.entries.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unfile(index: Index<T>, key: string, object: Immutable<T>): void {
    for (const value of index.compute(object)) {
      const keys = index.entries.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.entries.delete(value);
    }
  }

  // Handlers

  private notify(change: Change<T>): void {
    for (const handlers of this.handlers) this.call(handlers, change);
  }

  private call(handlers: InformerHandlers<T>, change: Change<T>): void {
    // Handlers only enqueue keys; one that throws must not end the watch (the
    // store would report the throw as a watch failure) or starve the others.
    try {
      if (change.type === 'add') handlers.onAdd?.(change.object);
      else if (change.type === 'update') handlers.onUpdate?.(change.previous, change.object);
      else handlers.onDelete?.(change.object);
    } catch (error) {
      this.log.error({ err: error, kind: this.info.kind, change: change.type }, 'informer event handler threw');
    }
  }

  private stoppedError(): Error {
    return new Error(`informer for ${this.info.plural} was stopped before it synced`);
  }
}
