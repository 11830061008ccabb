// The Store on etcd 3.4, through the `etcd3` client. Only the etcd-*.ts files
// of this folder know the store is etcd (see store.ts and the README,
// Architecture). EtcdStore is composed of:
//  - etcd-client.ts: the client, its fault policy and the call wrapper;
//  - etcd-kv.ts: reads and compare-and-swap writes and batches;
//  - etcd-leases.ts, etcd-maintenance.ts (compaction, revision, ping);
//  - etcd-watch.ts: the watch state machine;
//  - etcd-errors.ts: etcd3/grpc-js failures → @skiff/api errors.
// We use etcd3's raw RPC clients (kv, leaseClient, watchClient) rather than its
// builders, because the builders hide what the Store contract needs: the
// failure branch of a transaction and its header revision, the compact
// revision of a cancelled watch, and renewing a lease exactly once.
import { EtcdConnection, type EtcdStoreOptions } from './etcd-client.js';
import { closedError } from './etcd-errors.js';
import { EtcdKv } from './etcd-kv.js';
import { EtcdLeases } from './etcd-leases.js';
import { EtcdMaintenance } from './etcd-maintenance.js';
import { PrefixWatch } from './etcd-watch.js';
import { requireWatchRevision } from './store-rules.js';
import type { KeyValue, ListOptions, ListResult, Store, WatchCallbacks, WatchHandle, WatchOptions, WriteOp } from './store.js';

export type { EtcdStoreOptions } from './etcd-client.js';
export { MAX_TXN_OPS } from './store-rules.js';

export class EtcdStore implements Store {
  private readonly connection: EtcdConnection;
  private readonly maintenance: EtcdMaintenance;
  private readonly kv: EtcdKv;
  private readonly leases: EtcdLeases;
  private readonly watches = new Set<PrefixWatch>();

  constructor(options: EtcdStoreOptions) {
    this.connection = new EtcdConnection(options);
    this.maintenance = new EtcdMaintenance(this.connection);
    this.kv = new EtcdKv(this.connection, this.maintenance);
    this.leases = new EtcdLeases(this.connection);
  }

  /** Creates a store and waits (up to `dialTimeoutMs`) until etcd answers; throws UnavailableError otherwise. */
  static async connect(options: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(options);
    try {
      await store.ping(store.connection.dialTimeoutMs);
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  get(key: string): Promise<KeyValue | undefined> {
    return this.kv.get(key);
  }

  list(prefix: string, options?: ListOptions): Promise<ListResult> {
    return this.kv.list(prefix, options);
  }

  create(key: string, value: string, options?: { lease?: string }): Promise<number> {
    return this.kv.create(key, value, options);
  }

  update(key: string, value: string, expectedRevision: number, options?: { lease?: string }): Promise<number> {
    return this.kv.update(key, value, expectedRevision, options);
  }

  delete(key: string, expectedRevision: number): Promise<number> {
    return this.kv.delete(key, expectedRevision);
  }

  commit(ops: readonly WriteOp[]): Promise<number> {
    return this.kv.commit(ops);
  }

  watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks, options?: WatchOptions): WatchHandle {
    requireWatchRevision(afterRevision);
    if (this.connection.isClosed) throw closedError(this.connection.endpointLabel);
    const { client, endpointLabel } = this.connection;
    const watch = new PrefixWatch(client, endpointLabel, prefix, afterRevision, callbacks, () => this.watches.delete(watch), options?.previous ?? true);
    this.watches.add(watch);
    watch.start();
    return watch;
  }

  grantLease(ttlSeconds: number): Promise<string> {
    return this.leases.grant(ttlSeconds);
  }

  keepAliveLease(lease: string): Promise<number> {
    return this.leases.keepAlive(lease);
  }

  /** Idempotent: revoking an expired or already revoked lease succeeds. */
  revokeLease(lease: string): Promise<void> {
    return this.leases.revoke(lease);
  }

  /** Idempotent; does not wait for etcd's physical compaction (see EtcdMaintenance.compact). */
  compact(revision: number): Promise<void> {
    return this.maintenance.compact(revision);
  }

  currentRevision(): Promise<number> {
    return this.maintenance.currentRevision();
  }

  ping(timeoutMs: number): Promise<void> {
    return this.maintenance.ping(timeoutMs);
  }

  async close(): Promise<void> {
    if (!this.connection.markClosed()) return;
    await Promise.all([...this.watches].map((watch) => watch.close()));
    this.connection.release();
  }
}
