// Kubernetes' toleration matching, shared by the scheduler's reading and the
// DaemonSet controller's (controllers/ and scheduler/ are peers and may not
// import each other).
import type { Node, Toleration } from './types.js';

export type NodeTaint = NonNullable<Node['spec']['taints']>[number];

/**
 * True when the toleration tolerates the taint. An empty effect matches every
 * effect; an empty key matches every key but only with operator Exists
 * (Kubernetes validation rejects an empty key with Equal, so it tolerates
 * nothing here rather than everything); the default operator is Equal, and an
 * absent value equals an empty one.
 */
export function toleratesTaint(toleration: Readonly<Toleration>, taint: Readonly<NodeTaint>): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  const key = toleration.key ?? '';
  if (key === '') return operator === 'Exists';
  if (key !== taint.key) return false;
  if (operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first of the node's taints with one of `effects` that no toleration covers, in the node's order. */
export function firstUntoleratedTaintWith(
  taints: readonly Readonly<NodeTaint>[],
  tolerations: readonly Readonly<Toleration>[],
  effects: readonly NodeTaint['effect'][],
): Readonly<NodeTaint> | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerations.some((t) => toleratesTaint(t, taint)));
}
