// Kubernetes' TaintNodesByCondition: a node's conditions are mirrored as
// NoSchedule taints, so the scheduler (and a user reading `describe node`)
// sees a node's state in one place, and workloads opt in by tolerating them
// (daemon pods tolerate pressure; pods that are not BestEffort tolerate memory
// pressure). Only the taints named here are managed; any other taint on the
// node is the user's and kept as it is.
import {
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  type Node,
  type NodeCondition,
} from '@skiff/api';
import type { Immutable } from '../cache/informer.js';

type NodeTaint = NonNullable<Node['spec']['taints']>[number];

const MANAGED = new Set([
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
]);

/** Condition type and status that mean the taint, in Kubernetes' table. */
const BY_CONDITION: readonly { type: string; status: NodeCondition['status']; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NODE_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_NODE_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: TAINT_NODE_MEMORY_PRESSURE },
  { type: 'DiskPressure', status: 'True', key: TAINT_NODE_DISK_PRESSURE },
  { type: 'PIDPressure', status: 'True', key: TAINT_NODE_PID_PRESSURE },
  { type: 'NetworkUnavailable', status: 'True', key: TAINT_NODE_NETWORK_UNAVAILABLE },
];

/** The NoSchedule taints the node's conditions and cordon call for, in a fixed order. */
export function conditionTaints(node: Immutable<Node>): NodeTaint[] {
  const conditions = node.status?.conditions ?? [];
  const taints: NodeTaint[] = [];
  for (const rule of BY_CONDITION) {
    if (conditions.some((c) => c.type === rule.type && c.status === rule.status)) taints.push({ key: rule.key, effect: 'NoSchedule' });
  }
  if (node.spec.unschedulable === true) taints.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return taints;
}

/**
 * Informer objects (frozen: they never change) already known to agree. The node
 * judge asks about every node about five times a second: at 1,000 nodes that
 * is 5,000 answers a second, each worked out again (arrays, sorts) until now.
 */
const agreeing = new WeakSet<object>();

/**
 * The node's taints with the managed NoSchedule ones replaced by what its
 * conditions call for, or undefined when they already agree. The user's
 * taints keep their order and come first. A managed key with another effect
 * (NoExecute, set by a user) is the user's too.
 */
export function reconciledTaints(node: Immutable<Node>): NodeTaint[] | undefined {
  if (agreeing.has(node)) return undefined;
  const current = node.spec.taints ?? [];
  const managed = (t: { key: string; effect: string }): boolean => MANAGED.has(t.key) && t.effect === 'NoSchedule';
  const wanted = conditionTaints(node);
  const have = current.filter(managed).map((t) => t.key).sort();
  const want = wanted.map((t) => t.key).sort();
  if (have.length === want.length && have.every((key, i) => key === want[i])) {
    if (Object.isFrozen(node)) agreeing.add(node);
    return undefined;
  }
  return [...current.filter((t) => !managed(t)).map((t) => ({ ...t })), ...wanted];
}
