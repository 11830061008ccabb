// @skiff/controlplane: the API server, its store and (later) controllers and scheduler.
export { ControlPlane, type ControlPlaneConfig } from './control-plane.js';
export type { Store, KeyValue, StoreEvent, WatchCallbacks, WatchHandle, WriteOp, ListResult } from './store/store.js';
export * from './errors.js';
export { EtcdStore, type EtcdStoreOptions } from './store/index.js';
