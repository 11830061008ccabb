// The store: the Store interface (all the rest of the control plane sees) and
// its etcd implementation (only control-plane wiring should construct it).
export type { KeyValue, ListResult, Store, StoreEvent, WatchCallbacks, WatchHandle, WriteOp } from './store.js';
export { EtcdStore, MAX_TXN_OPS, type EtcdStoreOptions } from './etcd-store.js';
