// The scheduler's use of Kubernetes' toleration matching (the rules live in
// @skiff/api's tolerations.ts, shared with the DaemonSet controller; their
// corner cases are tested in taints.test.ts).
import { firstUntoleratedTaintWith, toleratesTaint, type Toleration } from '@skiff/api';
import type { Taint } from './node-info.js';

export { toleratesTaint };

/**
 * The first NoSchedule/NoExecute taint no toleration covers, in the node's
 * order. PreferNoSchedule is a scoring hint in Kubernetes, never a rejection.
 */
export function firstUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return firstUntoleratedTaintWith(taints, tolerations, ['NoSchedule', 'NoExecute']);
}
