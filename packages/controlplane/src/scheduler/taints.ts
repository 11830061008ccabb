// Kubernetes' toleration matching, kept apart from the filter so its corner
// cases (empty key, empty effect, default operator) can be tested directly.
import type { Toleration } from '@skiff/api';
import type { Taint } from './node-info.js';

/**
 * True when the toleration tolerates the taint. An empty effect matches every
 * effect; an empty key matches every key but only with operator Exists
 * (Kubernetes validation rejects an empty key with Equal, so it tolerates
 * nothing here rather than everything); the default operator is Equal, and an
 * absent value equals an empty one.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  const key = toleration.key ?? '';
  if (key === '') return operator === 'Exists';
  if (key !== taint.key) return false;
  if (operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * The first NoSchedule/NoExecute taint no toleration covers, in the node's
 * order. PreferNoSchedule is a scoring hint in Kubernetes, never a rejection.
 */
export function firstUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find(
    (taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => toleratesTaint(t, taint)),
  );
}
