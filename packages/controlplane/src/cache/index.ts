// The cache room: informers (list + watch into a frozen, shared cache) made by
// one factory, the work queue with per-key back-off, and the loop that runs a
// controller's sync(key) over them.
export { runController, type ControllerOptions, type RunningController } from './controller.js';
export { InformerFactory, type InformerFactoryOptions } from './informer-factory.js';
export { InformerScope, type InformerSource, type SharedInformers } from './informer-scope.js';
export {
  deepFreeze,
  ListWatchInformer,
  type Informer,
  keyOf,
  splitKey,
  thaw,
  type Immutable,
  type IndexFunction,
  type InformerHandlers,
  type InformerOptions,
} from './informer.js';
export { DEFAULT_MAX_HEARTBEATS_PER_SECOND, NodeLiveness, type HeartbeatTerms, type LivenessTimings } from './node-liveness.js';
export { silentLogger, type ControllerLogger } from './logger.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export { LEADER_ELECTION_KEY, LeaderElection, type LeaderElectionOptions, type LeaderIdentity, type LeaderRecord, type LeadershipState } from './leader-election.js';
export { FencedStore, NotLeaderError, type Fence } from './fenced-store.js';
