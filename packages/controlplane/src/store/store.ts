// The one storage interface of the control plane (after kine): every write
// carries the revision it expects, so concurrent writers can never silently
// overwrite each other. Only the etcd-*.ts files in store/ know this is etcd;
// memory-store.ts implements the same contract in memory, for unit tests.

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the last write to this key: the object's resourceVersion. */
  readonly modRevision: number;
  readonly createRevision: number;
  /** Lease the key is attached to, if any. */
  readonly lease?: string;
}

export type StoreEvent =
  | { readonly type: 'put'; readonly kv: KeyValue; readonly prev?: KeyValue }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number; readonly prev?: KeyValue };

export interface WatchCallbacks {
  /** Events arrive in revision order, each exactly once. */
  onEvent(event: StoreEvent): void;
  /**
   * The requested revision has been compacted away: the watch is over and the
   * caller must list again and watch from the list's revision.
   */
  onCompacted(compactRevision: number): void;
  /** The watch failed for another reason and is over. */
  onError(error: Error): void;
}

/**
 * `previous: false` (default true): events need not carry `prev`. etcd then
 * sends no previous value, which it reads from its backend for every event of
 * a watch that asks (a range at the event's revision − 1, inside its watch
 * server): measured on a fresh etcd with two watches open on transactions of
 * 128 updates, 14–20k writes/s with previous values against 17–23k without.
 * The watch cache asks for none: it holds every value already and sets
 * `prev` from what it held.
 */
export interface WatchOptions {
  readonly previous?: boolean;
}

export interface WatchHandle {
  close(): Promise<void>;
  /**
   * The revision this watch has caught up to: every event under its prefix
   * with a revision up to this one has been handed to onEvent, and none
   * above it is pending a delivery begun earlier. A Kubernetes BOOKMARK
   * carries it (rest/watch-bookmarks.ts). At least `afterRevision`; a watch
   * of the whole keyspace (the watch cache's) moves it on every write, an
   * etcd watch only with its own events and etcd's progress notifications.
   * Meaningful between callbacks, not from inside one.
   */
  progress(): number;
}

/**
 * One compare-and-swap write inside an atomic batch, or a guard: `check`
 * writes nothing but fails the whole batch unless `key` exists at mod revision
 * `expectedRevision` (an etcd transaction compare without a put). The leader's
 * fenced store adds one on its election key to every write (cache/fenced-store.ts).
 */
export type WriteOp =
  | { readonly op: 'create'; readonly key: string; readonly value: string; readonly lease?: string }
  | { readonly op: 'update'; readonly key: string; readonly value: string; readonly expectedRevision: number; readonly lease?: string }
  | { readonly op: 'delete'; readonly key: string; readonly expectedRevision: number }
  | { readonly op: 'check'; readonly key: string; readonly expectedRevision: number };

export interface ListResult {
  readonly items: KeyValue[];
  /** Store revision the list was read at: watch from here to miss nothing. */
  readonly revision: number;
  /**
   * With `ListOptions.limit`: how many keys under the prefix come after the
   * last item at `revision` (0: this page is the last). Absent without a limit.
   */
  readonly remaining?: number;
}

/**
 * How fresh a read must be, as Kubernetes' resourceVersion on a read:
 * `minRevision` undefined (the default, resourceVersion "") is a consistent
 * read, at least as new as the store's current revision when it was asked;
 * 0 ("0") may be served from whatever a cache holds; N is at least revision N.
 * A store that always reads its backend (EtcdStore, MemoryStore) meets every
 * one of these and ignores it; WatchCache serves them from memory.
 */
export interface ReadOptions {
  readonly minRevision?: number;
}

/**
 * One page of a list, as etcd's range reads it: at most `limit` keys from
 * `fromKey` on, at exactly `revision`. A list read in pages is one consistent
 * snapshot when every page after the first names the first page's revision
 * and starts at the last key it got + "\0" (Kubernetes' continue tokens).
 */
export interface ListOptions extends ReadOptions {
  /** At most this many keys (a positive integer); ListResult.remaining says how many more there are. */
  readonly limit?: number;
  /** The first key to return if present (etcd's range start); it must lie under the prefix. */
  readonly fromKey?: string;
  /**
   * Read at exactly this revision, whatever `minRevision` says: CompactedError
   * once history there has been compacted, InvalidError for a future one.
   */
  readonly revision?: number;
}

export interface Store {
  get(key: string, options?: ReadOptions): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Creates `key` only if absent. Returns the new revision. Throws AlreadyExistsError. */
  create(key: string, value: string, options?: { lease?: string }): Promise<number>;
  /**
   * Replaces `key` only if its mod revision is still `expectedRevision`.
   * Throws ConflictError (changed meanwhile) or NotFoundError (gone).
   * Without `options.lease` the key keeps the lease it has (etcd's
   * `ignore_lease`), so rewriting a TTL'd object does not make it immortal;
   * pass a lease to move it, or "0" to detach it.
   */
  update(key: string, value: string, expectedRevision: number, options?: { lease?: string }): Promise<number>;
  /** Deletes `key` only if its mod revision is still `expectedRevision`. Same errors as update. */
  delete(key: string, expectedRevision: number): Promise<number>;
  /**
   * Applies all ops atomically in one transaction, or none of them.
   * Throws BatchConflictError naming the index of the first op whose expectation failed.
   * A batch of checks only writes nothing and returns the current revision.
   */
  commit(ops: readonly WriteOp[]): Promise<number>;
  /** Delivers every change under `prefix` with revision > `afterRevision`. */
  watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks, options?: WatchOptions): WatchHandle;
  grantLease(ttlSeconds: number): Promise<string>;
  /**
   * Renews a lease once and returns its TTL in seconds as the store granted it
   * (etcd rounds a short TTL up to its minimum). Throws NotFoundError when the lease has expired.
   */
  keepAliveLease(lease: string): Promise<number>;
  revokeLease(lease: string): Promise<void>;
  /** Discards history up to `revision` (as etcd compaction does). */
  compact(revision: number): Promise<void>;
  currentRevision(): Promise<number>;
  /** Resolves when the store answers within `timeoutMs`; throws UnavailableError otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
