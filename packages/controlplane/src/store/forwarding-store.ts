// A Store that hands every call to another: the base of the decorators
// (WatchCache, GroupCommit), each overriding only what it changes, so a call
// or an op kind they do not know (commit() forwards its ops as they are)
// passes through untouched.
import type { KeyValue, ListOptions, ListResult, ReadOptions, Store, WatchCallbacks, WatchHandle, WatchOptions, WriteOp } from './store.js';

export class ForwardingStore implements Store {
  constructor(protected readonly inner: Store) {}

  get(key: string, options?: ReadOptions): Promise<KeyValue | undefined> {
    return this.inner.get(key, options);
  }

  list(prefix: string, options?: ListOptions): Promise<ListResult> {
    return this.inner.list(prefix, options);
  }

  create(key: string, value: string, options?: { lease?: string }): Promise<number> {
    return this.inner.create(key, value, options);
  }

  update(key: string, value: string, expectedRevision: number, options?: { lease?: string }): Promise<number> {
    return this.inner.update(key, value, expectedRevision, options);
  }

  delete(key: string, expectedRevision: number): Promise<number> {
    return this.inner.delete(key, expectedRevision);
  }

  commit(ops: readonly WriteOp[]): Promise<number> {
    return this.inner.commit(ops);
  }

  watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks, options?: WatchOptions): WatchHandle {
    return this.inner.watch(prefix, afterRevision, callbacks, options);
  }

  grantLease(ttlSeconds: number): Promise<string> {
    return this.inner.grantLease(ttlSeconds);
  }

  keepAliveLease(lease: string): Promise<number> {
    return this.inner.keepAliveLease(lease);
  }

  revokeLease(lease: string): Promise<void> {
    return this.inner.revokeLease(lease);
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  ping(timeoutMs: number): Promise<void> {
    return this.inner.ping(timeoutMs);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
