// The scheduler's view of a node: only what placement decisions need, with
// quantities already parsed so filters and scores are plain arithmetic.
import { cpuMillis, isTerminalPod, memoryBytes, parseQuantity, type Node, type Pod } from '@skiff/api';
import { podRequests } from './pod-requests.js';
import { addResources, emptyResources, type Resources } from './resources.js';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  allocatable: Resources;
  /** Sum of the requests of the pods placed (bound or assumed) on the node. */
  requested: Resources;
  ready: boolean;
  unschedulable: boolean;
  taints: Taint[];
}

/** Kubernetes' kubelet default for `--max-pods`, used when a node reports no pod capacity. */
export const DEFAULT_MAX_PODS = 110;

/**
 * Builds a NodeInfo from a Node and the pods bound to it. Terminal pods are
 * skipped (see isTerminalPod); the caller decides which pods are "on" the node.
 */
export function nodeInfoFromNode(node: Node, podsOnNode: readonly Pod[]): NodeInfo {
  let requested = emptyResources();
  for (const pod of podsOnNode) {
    if (!isTerminalPod(pod)) requested = addResources(requested, podRequests(pod.spec));
  }
  return {
    name: node.metadata.name,
    labels: { ...(node.metadata.labels ?? {}) },
    allocatable: nodeAllocatable(node),
    requested,
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: node.spec.unschedulable === true,
    taints: (node.spec.taints ?? []).map((t) => ({ ...t })),
  };
}

/** Each resource falls back to capacity on its own: an agent may report allocatable only partially. */
function nodeAllocatable(node: Node): Resources {
  const allocatable = node.status?.allocatable;
  const capacity = node.status?.capacity;
  const pick = (name: string): string | undefined => allocatable?.[name] ?? capacity?.[name];
  const pods = pick('pods');
  return {
    cpuMillis: lenient(pick('cpu'), cpuMillis),
    memoryBytes: lenient(pick('memory'), memoryBytes),
    pods: pods === undefined ? DEFAULT_MAX_PODS : lenient(pods, wholeCount),
  };
}

/**
 * A malformed node quantity reads as 0 rather than throwing: one bad Node must
 * not stop the scheduler, and a node with nothing allocatable is rejected with
 * a visible "Insufficient …" reason instead of being silently over-committed.
 */
function lenient(value: string | undefined, parse: (q: string) => number): number {
  if (value === undefined || parseQuantity(value) === undefined) return 0;
  return parse(value);
}

/** A pod count can't be fractional; rounding down never promises a slot that isn't there. */
function wholeCount(q: string): number {
  const parsed = parseQuantity(q);
  return parsed === undefined ? 0 : Number(parsed.numerator / parsed.denominator);
}
