// The scheduler's pure core: turn nodes and a pending pod into a placement or
// a Kubernetes-style explanation of why there is none. No I/O lives here; the
// loop that watches the store and binds pods builds on these pieces.
export { DEFAULT_MAX_PODS, nodeInfoFromNode, type NodeInfo, type Taint, type TaintEffect } from './node-info.js';
export { addResources, emptyResources, subtractResources, type Resources } from './resources.js';
export { podRequests } from './pod-requests.js';
export { podKey, podToPlace, type PodToPlace } from './pod-to-place.js';
export { firstUntoleratedTaint, toleratesTaint } from './taints.js';
export {
  DEFAULT_FILTERS,
  REASON_INSUFFICIENT_CPU,
  REASON_INSUFFICIENT_MEMORY,
  REASON_NOT_READY,
  REASON_SELECTOR_MISMATCH,
  REASON_TOO_MANY_PODS,
  REASON_UNSCHEDULABLE,
  firstRejection,
  fitsCpu,
  fitsMemory,
  fitsPods,
  nodeReady,
  nodeSchedulable,
  nodeSelectorMatches,
  taintsTolerated,
  type Filter,
} from './filters.js';
export { binPackScore, spreadScore, utilisationAfter } from './scores.js';
export {
  describeUnschedulable,
  filterNodes,
  schedulePod,
  type FilterResult,
  type ScheduleResult,
  type Strategy,
} from './schedule.js';
export { SchedulerCache, type NodeChange } from './scheduler-cache.js';
export { PlacementMemo, shapeOf } from './placement-memo.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
