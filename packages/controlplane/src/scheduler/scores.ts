// Node scores for feasible nodes: pure functions of the pod's requests and the
// node's state, so each can be checked against a hand-computed number.
import type { NodeInfo } from './node-info.js';
import type { Resources } from './resources.js';

/**
 * Mean utilisation in [0, 1] of cpu and memory after placing `requests`:
 *
 *   u_r = min(1, (node.requested_r + requests_r) / node.allocatable_r)   for r in {cpu, memory}
 *   utilisation = mean of u_r over the resources with allocatable_r > 0 (0 if there are none)
 *
 * A resource the node has none of is skipped rather than counted as full or
 * empty: it says nothing about how well the pod fits. The clamp keeps a
 * zero-request pod on an over-committed node inside the range.
 */
export function utilisationAfter(requests: Resources, node: NodeInfo): number {
  // Summed in the same order as the formula reads (cpu, then memory), without
  // an array: this runs for every node on every decision.
  let sum = 0;
  let count = 0;
  if (node.allocatable.cpuMillis > 0) {
    sum += clamp01((node.requested.cpuMillis + requests.cpuMillis) / node.allocatable.cpuMillis);
    count++;
  }
  if (node.allocatable.memoryBytes > 0) {
    sum += clamp01((node.requested.memoryBytes + requests.memoryBytes) / node.allocatable.memoryBytes);
    count++;
  }
  return count === 0 ? 0 : sum / count;
}

function clamp01(f: number): number {
  return Math.min(1, Math.max(0, f));
}

/**
 * Rounding to hundredths makes scores exact, comparable values: mathematically
 * equal utilisations reached by different float paths tie (and fall to the
 * deterministic name order) instead of being split by rounding noise.
 */
function toScore(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Best fit: `round2(100 × utilisationAfter)`, in [0, 100]. The fuller the node
 * would be, the higher the score, so pods pack onto few nodes and whole nodes
 * stay free for large pods.
 */
export function binPackScore(requests: Resources, node: NodeInfo): number {
  return toScore(100 * utilisationAfter(requests, node));
}

/**
 * Least allocated: `round2(100 − 100 × utilisationAfter)`, i.e. 100 − binPackScore
 * (computed before rounding so the two always sum to 100 within a hundredth).
 */
export function spreadScore(requests: Resources, node: NodeInfo): number {
  return toScore(100 - 100 * utilisationAfter(requests, node));
}
