// One placement decision as a pipeline: filter every node (recording why each
// rejected node was rejected) → score the feasible ones → pick the best.
import { DEFAULT_FILTERS, firstDefaultRejection, firstRejection, type Filter } from './filters.js';
import type { NodeInfo } from './node-info.js';
import type { Resources } from './resources.js';
import type { PodToPlace } from './pod-to-place.js';
import { binPackScore, spreadScore } from './scores.js';

export type Strategy = 'binpack' | 'spread';

export type ScheduleResult = { node: string; score: number } | { node: undefined; reasons: Map<string, number> };

export interface FilterResult {
  feasible: NodeInfo[];
  /** Reason → number of nodes rejected for it (each node counts once, for its first reason). */
  reasons: Map<string, number>;
}

export function filterNodes(
  pod: PodToPlace,
  nodes: readonly NodeInfo[],
  filters: readonly Filter[] = DEFAULT_FILTERS,
): FilterResult {
  const feasible: NodeInfo[] = [];
  const reasons = new Map<string, number>();
  for (const node of nodes) {
    const reason = firstRejection(pod, node, filters);
    if (reason === undefined) feasible.push(node);
    else reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return { feasible, reasons };
}

const SCORERS: Readonly<Record<Strategy, (requests: Resources, node: NodeInfo) => number>> = {
  binpack: binPackScore,
  spread: spreadScore,
};

/**
 * Highest score wins; equal scores go to the smallest node name (code-unit
 * order, not locale order, so every process picks the same node).
 */
export function schedulePod(pod: PodToPlace, nodes: readonly NodeInfo[], strategy: Strategy): ScheduleResult {
  // filterNodes then score, fused into one pass over the nodes (no feasible
  // list per decision), with the same filters and scores as the two stages.
  // The reasons are counted only when no node fits, by filterNodes in a
  // second pass: a pod that is placed needs none, and counting them cost a
  // map update for every full node on every decision.
  const score = SCORERS[strategy];
  let bestNode: string | undefined;
  let bestScore = 0;
  for (const node of nodes) {
    if (firstDefaultRejection(pod, node) !== undefined) continue;
    const s = score(pod.requests, node);
    if (bestNode === undefined || s > bestScore || (s === bestScore && node.name < bestNode)) {
      bestNode = node.name;
      bestScore = s;
    }
  }
  return bestNode === undefined ? { node: undefined, reasons: filterNodes(pod, nodes).reasons } : { node: bestNode, score: bestScore };
}

/**
 * Kubernetes' FailedScheduling message, e.g.
 * `0/5 nodes are available: 3 Insufficient memory, 2 node(s) not ready.`
 * Reasons are ordered by count (most common first), then text, so the message
 * is stable from one attempt to the next and the dominant cause reads first.
 */
export function describeUnschedulable(total: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, count]) => `${count} ${reason}`);
  if (parts.length === 0) return `0/${total} nodes are available.`;
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}
