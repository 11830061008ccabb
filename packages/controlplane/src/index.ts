// @skiff/controlplane: the control plane process (API, controllers, scheduler,
// node service) and its store. Errors are @skiff/api's vocabulary.
export { ControlPlane, type ControlPlaneConfig } from './control-plane.js';
export { ResourceMetricsStore } from './metrics/index.js';
export { LEADER_ELECTION_KEY } from './cache/leader-election.js';
export {
  EtcdMemberMaintenance,
  EtcdStore,
  MemoryStore,
  StoreMaintainer,
  type MaintenanceNotice,
  type MemberStatus,
  type EtcdStoreOptions,
  type KeyValue,
  type ListResult,
  type MemoryStoreOptions,
  type Store,
  type StoreEvent,
  type WatchCallbacks,
  type WatchHandle,
  type WriteOp,
} from './store/index.js';
export { pkiPaths, type PkiPaths } from './pki/pki-paths.js';
