// The store: the Store interface (all the rest of the control plane sees), its
// etcd implementation (only control-plane wiring should construct it), and
// the in-memory one for unit tests of what sits on the store.
export type { KeyValue, ListResult, Store, StoreEvent, WatchCallbacks, WatchHandle, WriteOp } from './store.js';
export { EtcdStore, MAX_TXN_OPS, type EtcdStoreOptions } from './etcd-store.js';
export { MemoryStore, type MemoryStoreClock, type MemoryStoreOptions } from './memory-store.js';
export { systemClock } from './memory-clock.js';
export { Compactor, DEFAULT_COMPACTION_INTERVAL_MS, type CompactorOptions } from './compactor.js';
export type { EtcdTlsCredentials } from './etcd-client.js';
export { addEtcdMember, initialCluster, type EtcdMemberInfo } from './etcd-membership.js';
