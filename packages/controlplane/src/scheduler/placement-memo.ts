// Bin-packing decisions for pods shaped alike without scanning every node each
// time. Exact, not sampled: Kubernetes scores a share of the nodes
// (percentageOfNodesToScore) and Nomad a few candidates, trading the best fit
// for speed; this returns what schedulePod over all nodes would, which
// placement-memo.test.ts checks against it over random histories.
//
// Why it is exact. A shape is what a decision reads of a pod (its requests,
// node selector and tolerations: the replicas of one ReplicaSet share it).
// The last decision for a shape chose node X, the best of all nodes. Since
// then the cache logged which nodes changed (scheduler-cache.ts). If every
// change only added requests to a node ("grew", as each assumption does):
//  - a node that did not change has the score and feasibility it had, so it
//    still does not beat X's old score (or ties and loses on its name);
//  - a node that grew can only have lost feasibility, never gained it, and
//    its bin-packing score (utilisation after the pod) can only have risen.
// So the best now is among X and the nodes that changed, and those are
// filtered and scored again. When X itself changed and no longer fits, or any
// other kind of change happened (a node added, changed or removed, a pod
// gone), the runner-up is unknown and every node is scanned, as without the
// memo. Spread is always scanned: a change lowers its scores, so the
// runner-up is unknown after every placement.
import { firstDefaultRejection } from './filters.js';
import type { PodToPlace } from './pod-to-place.js';
import { schedulePod, type ScheduleResult, type Strategy } from './schedule.js';
import { binPackScore } from './scores.js';
import type { SchedulerCache } from './scheduler-cache.js';

interface LastPlacement {
  readonly node: string;
  readonly score: number;
  /** The cache's generation the decision saw. */
  readonly generation: number;
}

/** Shapes remembered at most; past that the memo starts over (a decision then scans, nothing else). */
const MAX_SHAPES = 1024;

export class PlacementMemo {
  readonly #last = new Map<string, LastPlacement>();
  /** Decisions that scanned every node (what a test can count). */
  fullScans = 0;

  constructor(
    private readonly cache: SchedulerCache,
    private readonly strategy: Strategy,
  ) {}

  /** What schedulePod(pod, cache.nodesView(), strategy) returns, found with less work when it can be. */
  schedule(pod: PodToPlace): ScheduleResult {
    if (this.strategy !== 'binpack') return this.scan(pod, undefined);
    const shape = shapeOf(pod);
    const generation = this.cache.generation;
    const last = this.#last.get(shape);
    const found = last && this.fromChanges(pod, last);
    if (found) {
      this.#last.set(shape, { node: found.node, score: found.score, generation });
      return found;
    }
    return this.scan(pod, shape);
  }

  private scan(pod: PodToPlace, shape: string | undefined): ScheduleResult {
    this.fullScans++;
    const generation = this.cache.generation;
    const result = schedulePod(pod, this.cache.nodesView(), this.strategy);
    if (shape !== undefined) {
      if (result.node === undefined) this.#last.delete(shape);
      else {
        if (this.#last.size >= MAX_SHAPES) this.#last.clear();
        this.#last.set(shape, { node: result.node, score: result.score, generation });
      }
    }
    return result;
  }

  /** The best node judged from the changes since `last`, or undefined when only a scan can tell. */
  private fromChanges(pod: PodToPlace, last: LastPlacement): { node: string; score: number } | undefined {
    const changes = this.cache.changesSince(last.generation);
    if (changes === undefined) return undefined;
    const changed = new Set<string>();
    for (const change of changes) {
      if (!change.grew) return undefined;
      changed.add(change.node);
    }
    let bestNode: string | undefined;
    let bestScore = 0;
    if (!changed.has(last.node)) {
      bestNode = last.node;
      bestScore = last.score;
    }
    for (const name of changed) {
      const node = this.cache.nodeView(name);
      // A pod counted on a node the cache does not know (yet) changes no decision.
      const rejected = node === undefined || firstDefaultRejection(pod, node) !== undefined;
      if (rejected) {
        if (name === last.node) return undefined;
        continue;
      }
      const s = binPackScore(pod.requests, node);
      if (bestNode === undefined || s > bestScore || (s === bestScore && name < bestNode)) {
        bestNode = name;
        bestScore = s;
      }
    }
    return bestNode === undefined ? undefined : { node: bestNode, score: bestScore };
  }
}

/** What a decision reads of a pod, as one string: equal strings, equal decisions on the same nodes. */
export function shapeOf(pod: PodToPlace): string {
  const { cpuMillis, memoryBytes, pods } = pod.requests;
  return `${cpuMillis}/${memoryBytes}/${pods}/${JSON.stringify(pod.nodeSelector ?? null)}/${JSON.stringify(pod.tolerations ?? null)}`;
}
