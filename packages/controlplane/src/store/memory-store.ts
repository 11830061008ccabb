// The Store in memory, for unit tests of what sits on the store (controllers,
// the scheduler, the API service). It passes the same contract suite as
// EtcdStore (store-contract.test.ts) and copies etcd where tests could tell
// the difference: one global revision bumped once per write transaction,
// compare-and-swap errors with the same types, fields and messages, history
// that compaction discards, int64 lease ids, etcd's minimum lease TTL, and
// watch events that arrive later than the write. Its time is a clock a test
// can drive (see memory-clock.ts). What it does not copy: etcd's request size
// limit, and etcd's half-second lag in noticing an expired lease.
import { UnavailableError } from '@skiff/api';
import { systemClock, type MemoryStoreClock } from './memory-clock.js';
import { MemoryKeyspace, type Mutation } from './memory-keyspace.js';
import { ETCD_MIN_LEASE_TTL_SECONDS, MemoryLeases, canonicalLease } from './memory-leases.js';
import { MemoryWatches, copyKeyValue } from './memory-watch.js';
import {
  alreadyExists,
  batchConflict,
  casFailure,
  checkBatch,
  compactedList,
  futureListRevision,
  futureRevision,
  leaseNotFound,
  requireCompactionRevision,
  requireLeaseId,
  requireLeaseTtl,
  requireListOptions,
  requireRevision,
  requireWatchRevision,
} from './store-rules.js';
import { pageOf } from './list-page.js';
import type { KeyValue, ListOptions, ListResult, Store, WatchCallbacks, WatchHandle, WatchOptions, WriteOp } from './store.js';

export type { MemoryStoreClock } from './memory-clock.js';

export interface MemoryStoreOptions {
  /** Lease deadlines, lease expiry and event delivery run on this clock (default: the process's). */
  clock?: MemoryStoreClock;
  /** Shorter leases are granted this long (default 2 s, etcd's with its default timing flags). */
  minLeaseTtlSeconds?: number;
}

export class MemoryStore implements Store {
  private readonly keyspace: MemoryKeyspace;
  private readonly leases: MemoryLeases;
  private readonly watches: MemoryWatches;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const clock = options.clock ?? systemClock;
    this.keyspace = new MemoryKeyspace(() => this.watches.schedule());
    this.leases = new MemoryLeases(this.keyspace, clock, options.minLeaseTtlSeconds ?? ETCD_MIN_LEASE_TTL_SECONDS);
    this.watches = new MemoryWatches(this.keyspace, clock);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.open('get');
    const kv = this.keyspace.get(key);
    return kv && copyKeyValue(kv);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    requireListOptions(prefix, options);
    this.open('list');
    const current = this.keyspace.currentRevision;
    const revision = options.revision ?? current;
    if (revision < this.keyspace.compactRevision) throw compactedList(revision);
    if (revision > current) throw futureListRevision(revision);
    const all = revision === current ? this.keyspace.list(prefix) : this.keyspace.listAt(prefix, revision);
    const page = pageOf(all, options);
    return { ...page, items: page.items.map(copyKeyValue), revision };
  }

  async create(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    this.open('create');
    const lease = leaseToAttach(options.lease);
    const current = this.keyspace.get(key);
    if (current) throw alreadyExists(key, current);
    this.requireLiveLease('create', lease);
    return this.keyspace.apply([{ type: 'put', key, value, lease }]);
  }

  async update(key: string, value: string, expectedRevision: number, options: { lease?: string } = {}): Promise<number> {
    requireRevision(expectedRevision, `update of ${key}`);
    this.open('update');
    const lease = options.lease === undefined ? null : leaseToAttach(options.lease);
    const current = this.keyspace.get(key);
    if (current?.modRevision !== expectedRevision) throw casFailure(key, expectedRevision, current);
    this.requireLiveLease('update', lease);
    return this.keyspace.apply([{ type: 'put', key, value, lease }]);
  }

  async delete(key: string, expectedRevision: number): Promise<number> {
    requireRevision(expectedRevision, `delete of ${key}`);
    this.open('delete');
    const current = this.keyspace.get(key);
    if (current?.modRevision !== expectedRevision) throw casFailure(key, expectedRevision, current);
    return this.keyspace.apply([{ type: 'delete', key }]);
  }

  async commit(ops: readonly WriteOp[]): Promise<number> {
    checkBatch(ops);
    if (ops.length === 0) return this.currentRevision();
    this.open('commit');
    const mutations = ops.flatMap((op): Mutation[] => {
      switch (op.op) {
        case 'create':
          return [{ type: 'put', key: op.key, value: op.value, lease: leaseToAttach(op.lease) }];
        case 'update':
          return [{ type: 'put', key: op.key, value: op.value, lease: op.lease === undefined ? null : leaseToAttach(op.lease) }];
        case 'delete':
          return [{ type: 'delete', key: op.key }];
        case 'check':
          return [];
      }
    });
    // As in etcd, the compares decide first; leases are checked only on the branch that runs.
    const conflict = batchConflict(ops, (op) => this.keyspace.get(op.key));
    if (conflict) throw conflict;
    for (const mutation of mutations) if (mutation.type === 'put') this.requireLiveLease('commit', mutation.lease);
    // As etcd, a transaction that writes nothing (checks only) leaves the revision where it is.
    return mutations.length === 0 ? this.keyspace.currentRevision : this.keyspace.apply(mutations);
  }

  watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks, options?: WatchOptions): WatchHandle {
    requireWatchRevision(afterRevision);
    this.open('watch');
    return this.watches.add(prefix, afterRevision, callbacks, options?.previous ?? true);
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    requireLeaseTtl(ttlSeconds);
    this.open('grantLease');
    return this.leases.grant(ttlSeconds);
  }

  async keepAliveLease(lease: string): Promise<number> {
    requireLeaseId(lease);
    this.open('keepAliveLease');
    return this.leases.keepAlive(lease);
  }

  /** Idempotent: revoking an expired or already revoked lease succeeds. */
  async revokeLease(lease: string): Promise<void> {
    requireLeaseId(lease);
    this.open('revokeLease');
    this.leases.revoke(lease);
  }

  /** Idempotent: a revision that is already compacted is not an error. */
  async compact(revision: number): Promise<void> {
    requireCompactionRevision(revision);
    this.open('compact');
    if (revision <= this.keyspace.compactRevision) return;
    if (revision > this.keyspace.currentRevision) throw futureRevision(revision);
    this.keyspace.compact(revision);
  }

  async currentRevision(): Promise<number> {
    this.open('currentRevision');
    return this.keyspace.currentRevision;
  }

  async ping(_timeoutMs: number): Promise<void> {
    this.open('ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watches.closeAll();
    this.leases.close();
  }

  /** Refuses calls once closed, and first lets leases that are due expire. */
  private open(operation: string): void {
    if (this.closed) throw new UnavailableError(`${operation}: memory store is closed`);
    this.leases.expireDue();
  }

  /** etcd refuses a put that attaches a lease it does not know. */
  private requireLiveLease(operation: string, lease: string | undefined | null): void {
    if (typeof lease === 'string' && !this.leases.exists(lease)) throw leaseNotFound(operation);
  }
}

/** The lease a write attaches: undefined for none (no lease given, or "0"). */
function leaseToAttach(lease: string | undefined): string | undefined {
  if (lease === undefined) return undefined;
  requireLeaseId(lease, true);
  const id = canonicalLease(lease);
  return id === '0' ? undefined : id;
}
