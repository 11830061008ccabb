// Feasibility filters: each answers "can this pod go on this node?" with
// undefined (yes) or a short reason in Kubernetes' wording, so the reasons can
// be counted across nodes into the familiar "0/5 nodes are available" event.
import type { NodeInfo } from './node-info.js';
import type { PodToPlace } from './pod-to-place.js';
import { TAINT_NODE_UNSCHEDULABLE } from '@skiff/api';
import { firstUntoleratedTaint, toleratesTaint } from './taints.js';

// The filter input type lives in its own file; re-exported because filters are its main consumer.
export { podToPlace, podKey, type PodToPlace } from './pod-to-place.js';

export type Filter = (pod: PodToPlace, node: NodeInfo) => string | undefined;

export const REASON_NOT_READY = 'node(s) not ready';
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_SELECTOR_MISMATCH = "node(s) didn't match Pod's node affinity/selector";

export const nodeReady: Filter = (_pod, node) => (node.ready ? undefined : REASON_NOT_READY);

const UNSCHEDULABLE_TAINT = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' } as const;

/** A cordoned node takes only pods that tolerate its unschedulable taint (daemon pods do), as in Kubernetes. */
export const nodeSchedulable: Filter = (pod, node) =>
  node.unschedulable && !(pod.tolerations ?? []).some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT)) ? REASON_UNSCHEDULABLE : undefined;

// The filters run for every node on every decision: no allocation on the common path.
export const nodeSelectorMatches: Filter = (pod, node) => {
  const selector = pod.nodeSelector;
  if (selector === undefined) return undefined;
  for (const key of Object.keys(selector)) {
    if (node.labels[key] !== selector[key]) return REASON_SELECTOR_MISMATCH;
  }
  return undefined;
};

const NO_TOLERATIONS: readonly [] = [];

export const taintsTolerated: Filter = (pod, node) => {
  if (node.taints.length === 0) return undefined;
  const taint = firstUntoleratedTaint(node.taints, pod.tolerations ?? NO_TOLERATIONS);
  // Kubernetes prints an absent value as empty: "{key: }".
  return taint ? `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}` : undefined;
};

// A zero request fits even on an over-committed node, as in Kubernetes: a pod
// that asks for nothing can't make the node any more short of that resource.
export const fitsCpu: Filter = (pod, node) =>
  pod.requests.cpuMillis > 0 && node.requested.cpuMillis + pod.requests.cpuMillis > node.allocatable.cpuMillis
    ? REASON_INSUFFICIENT_CPU
    : undefined;

export const fitsMemory: Filter = (pod, node) =>
  pod.requests.memoryBytes > 0 &&
  node.requested.memoryBytes + pod.requests.memoryBytes > node.allocatable.memoryBytes
    ? REASON_INSUFFICIENT_MEMORY
    : undefined;

export const fitsPods: Filter = (pod, node) =>
  node.requested.pods + pod.requests.pods > node.allocatable.pods ? REASON_TOO_MANY_PODS : undefined;

/**
 * The default pipeline. Order matters because only a node's first reason is
 * counted: a node's state (not ready, cordoned) and the pod's placement
 * constraints explain a rejection better than momentary capacity does.
 */
export const DEFAULT_FILTERS: readonly Filter[] = [
  nodeReady,
  nodeSchedulable,
  nodeSelectorMatches,
  taintsTolerated,
  fitsCpu,
  fitsMemory,
  fitsPods,
];

/**
 * DEFAULT_FILTERS in their order, called directly: the scheduler runs this for
 * every node on every decision, and a loop over the array makes one call site
 * for seven functions, which V8 can neither inline nor predict (a profile at
 * 1,000 nodes put a third of the control plane's scheduling time there).
 * filters.test.ts checks it answers as the array does.
 */
export function firstDefaultRejection(pod: PodToPlace, node: NodeInfo): string | undefined {
  return (
    nodeReady(pod, node) ??
    nodeSchedulable(pod, node) ??
    nodeSelectorMatches(pod, node) ??
    taintsTolerated(pod, node) ??
    fitsCpu(pod, node) ??
    fitsMemory(pod, node) ??
    fitsPods(pod, node)
  );
}

/** The first reason the node is rejected for, or undefined when it is feasible. */
export function firstRejection(
  pod: PodToPlace,
  node: NodeInfo,
  filters: readonly Filter[] = DEFAULT_FILTERS,
): string | undefined {
  if (filters === DEFAULT_FILTERS) return firstDefaultRejection(pod, node);
  for (const filter of filters) {
    const reason = filter(pod, node);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
