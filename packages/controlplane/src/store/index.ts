// The store: the Store interface (all the rest of the control plane sees), its
// etcd implementation (only control-plane wiring should construct it), and
// the in-memory one for unit tests of what sits on the store.
export type { KeyValue, ListOptions, ListResult, ReadOptions, Store, StoreEvent, WatchCallbacks, WatchHandle, WatchOptions, WriteOp } from './store.js';
export { EtcdStore, MAX_TXN_OPS, type EtcdStoreOptions } from './etcd-store.js';
export { MemoryStore, type MemoryStoreClock, type MemoryStoreOptions } from './memory-store.js';
export { systemClock } from './memory-clock.js';
export { Compactor, DEFAULT_COMPACTION_INTERVAL_MS, type CompactorOptions } from './compactor.js';
export type { MemberStatus, StoreAlarm, StoreAlarmType, StoreMaintenance } from './store-maintenance.js';
export { alarmAdvice } from './store-maintenance.js';
export { EtcdMemberMaintenance } from './etcd-member-maintenance.js';
export {
  DEFAULT_DEFRAG_MIN_BYTES,
  DEFAULT_DEFRAG_THRESHOLD,
  DEFAULT_MAINTENANCE_INTERVAL_MS,
  DEFAULT_QUOTA_BYTES,
  StoreMaintainer,
  type MaintenanceNotice,
  type StoreMaintainerOptions,
} from './store-maintainer.js';
export { saveSnapshot, type SavedSnapshot } from './etcd-snapshot.js';
export { WatchCache, DEFAULT_WATCH_CACHE_SIZE, DEFAULT_FRESHNESS_TIMEOUT_MS, type WatchCacheOptions } from './watch-cache.js';
export { GroupCommit, type GroupCommitOptions } from './group-commit.js';
export type { EtcdTlsCredentials } from './etcd-client.js';
export { addEtcdMember, initialCluster, type EtcdMemberInfo } from './etcd-membership.js';
