// The columns `ctl get` prints and the REST API's Table responses carry
// (`kubectl get`), one table for both: what each kind shows, as kubectl does.
export { columnsFor, podStatusText, type Column } from './columns.js';
export { byLastSeen, firstSeen, lastSeen } from './event-times.js';
export { jobDuration } from './job-columns.js';
export { labelSelectorText } from './label-selector-text.js';
