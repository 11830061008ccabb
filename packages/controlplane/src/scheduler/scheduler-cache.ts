// The scheduler's own picture of the cluster: nodes, plus every pod that holds
// resources on them — bound pods seen from the store and pods the scheduler
// has assumed but whose binding hasn't been observed yet. Assuming lets the
// next decision see a placement immediately instead of after the bind's
// round trip through etcd, so a burst of pods doesn't all land on one node.
import { isTerminalPod, type Node, type Pod } from '@skiff/api';
import { nodeInfoFromNode, type NodeInfo } from './node-info.js';
import { addResources, emptyResources, subtractResources, type Resources } from './resources.js';
import { podRequests } from './pod-requests.js';
import { podKey } from './pod-to-place.js';

interface PlacedPod {
  nodeName: string;
  requests: Resources;
  /** True until the store shows the pod bound; only assumed pods can be forgotten. */
  assumed: boolean;
}

const EMPTY: Resources = Object.freeze(emptyResources());

/**
 * One change to the nodes as decisions see them (placement-memo.ts reads
 * these). `grew`: only the node's requested resources went up (a pod assumed
 * or seen bound there); anything else (a node added, changed or removed, a
 * pod gone from it) is not.
 */
export interface NodeChange {
  readonly node: string;
  readonly grew: boolean;
}

/** Changes kept for changesSince(); a decision further back than this scans every node. */
const CHANGE_LOG_SIZE = 4096;

export class SchedulerCache {
  /** NodeInfo with `requested` left empty; the sums live in `requested` below. */
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PlacedPod>();
  /**
   * Per node name, including names with no Node (yet): a pod may be seen
   * before its node, or outlive a node's removal, and must still count if the
   * node (re)appears.
   */
  readonly #requested = new Map<string, Resources>();
  /**
   * Per node, the view nodesView() hands out: the NodeInfo's fields with
   * `requested` kept current by #put and #delete, so a decision reads a
   * thousand nodes without copying one.
   */
  readonly #views = new Map<string, NodeInfo>();
  /** The views sorted by name, rebuilt only when the set of nodes changes (not per decision). */
  #sorted: NodeInfo[] | undefined;
  /** Changes so far; #changes holds the last of them (at most 2 × CHANGE_LOG_SIZE). */
  #generation = 0;
  #changes: NodeChange[] = [];

  setNode(node: Node): void {
    const info = nodeInfoFromNode(node, []);
    this.#nodes.set(info.name, info);
    this.#views.set(info.name, { ...info, requested: this.#requested.get(info.name) ?? EMPTY });
    this.#sorted = undefined;
    this.#log(info.name, false);
  }

  removeNode(name: string): void {
    this.#nodes.delete(name);
    this.#views.delete(name);
    this.#sorted = undefined;
    this.#log(name, false);
  }

  /** How many changes the nodes have seen: a decision made now saw exactly these. */
  get generation(): number {
    return this.#generation;
  }

  /** The changes after `generation`, oldest first; undefined when the log no longer reaches back that far. */
  changesSince(generation: number): readonly NodeChange[] | undefined {
    const first = this.#generation - this.#changes.length;
    if (generation < first || generation > this.#generation) return undefined;
    return this.#changes.slice(generation - first);
  }

  #log(node: string, grew: boolean): void {
    this.#changes.push({ node, grew });
    this.#generation++;
    if (this.#changes.length > 2 * CHANGE_LOG_SIZE) this.#changes = this.#changes.slice(-CHANGE_LOG_SIZE);
  }

  /**
   * Records a pod as seen in the store. Idempotent; a changed node or changed
   * requests replace the old entry. Confirms an assumption for the same pod.
   */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    if (isTerminalPod(pod)) {
      this.#delete(key);
      return;
    }
    const nodeName = pod.spec.nodeName;
    if (nodeName === undefined || nodeName === '') {
      // An update to a still-pending pod can arrive while its binding is in
      // flight; dropping the assumption then would let the node be double-booked.
      if (this.#pods.get(key)?.assumed !== true) this.#delete(key);
      return;
    }
    this.#put(key, { nodeName, requests: podRequests(pod.spec), assumed: false });
  }

  /** Forgets a pod deleted from the store, whether bound or still assumed. */
  removePod(pod: Pod | string): void {
    this.#delete(typeof pod === 'string' ? pod : podKey(pod));
  }

  /** Counts the pod on the node now, ahead of the binding being observed. */
  assume(podKey: string, nodeName: string, requests: Resources): void {
    this.#put(podKey, { nodeName, requests: { ...requests }, assumed: true });
  }

  /**
   * Undoes an assumption after its binding failed. A pod the store already
   * shows bound is left alone: the store, not the failed call, is the truth.
   */
  forget(podKey: string): void {
    if (this.#pods.get(podKey)?.assumed === true) this.#delete(podKey);
  }

  /** Whether the pod is assumed and not yet confirmed by the store. */
  isAssumed(podKey: string): boolean {
    return this.#pods.get(podKey)?.assumed === true;
  }

  /** The node the cache places the pod on, bound or assumed. */
  nodeOf(podKey: string): string | undefined {
    return this.#pods.get(podKey)?.nodeName;
  }

  /** Known nodes sorted by name, as copies the caller may freely mutate. */
  nodes(): NodeInfo[] {
    return [...this.#nodes.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((info) => this.#snapshot(info));
  }

  /**
   * The scheduler's hot path: every node as it stands, sorted by name, without
   * copies (one decision per pod over a thousand nodes must stay cheap). The
   * views are the cache's own and follow it (their `requested` changes with
   * each assumption): read them, never write, and do not keep them across
   * changes to the cache.
   */
  nodesView(): readonly Readonly<NodeInfo>[] {
    this.#sorted ??= [...this.#views.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.#sorted;
  }

  /** One node's view, as nodesView() hands it out (the same rules). */
  nodeView(name: string): Readonly<NodeInfo> | undefined {
    return this.#views.get(name);
  }

  node(name: string): NodeInfo | undefined {
    const info = this.#nodes.get(name);
    return info && this.#snapshot(info);
  }

  #snapshot(info: NodeInfo): NodeInfo {
    return {
      name: info.name,
      labels: { ...info.labels },
      allocatable: { ...info.allocatable },
      requested: { ...(this.#requested.get(info.name) ?? emptyResources()) },
      ready: info.ready,
      unschedulable: info.unschedulable,
      taints: info.taints.map((t) => ({ ...t })),
    };
  }

  #put(key: string, placed: PlacedPod): void {
    const old = this.#pods.get(key);
    if (old && old.nodeName === placed.nodeName && sameResources(old.requests, placed.requests)) {
      // An assumption confirmed (or a pod seen again as it was): the node's sums stay as they are.
      this.#pods.set(key, placed);
      return;
    }
    this.#delete(key);
    this.#pods.set(key, placed);
    const before = this.#requested.get(placed.nodeName) ?? emptyResources();
    this.#requested.set(placed.nodeName, addResources(before, placed.requests));
    this.#refreshView(placed.nodeName, true);
  }

  #refreshView(nodeName: string, grew: boolean): void {
    const view = this.#views.get(nodeName);
    if (view) view.requested = this.#requested.get(nodeName) ?? EMPTY;
    this.#log(nodeName, grew);
  }

  #delete(key: string): void {
    const old = this.#pods.get(key);
    if (old === undefined) return;
    this.#pods.delete(key);
    const remaining = subtractResources(this.#requested.get(old.nodeName) ?? emptyResources(), old.requests);
    // Drop empty sums so a long-lived cache doesn't keep every node name it ever saw.
    if (remaining.pods <= 0) this.#requested.delete(old.nodeName);
    else this.#requested.set(old.nodeName, remaining);
    this.#refreshView(old.nodeName, false);
  }
}

function sameResources(a: Resources, b: Resources): boolean {
  return a.cpuMillis === b.cpuMillis && a.memoryBytes === b.memoryBytes && a.pods === b.pods;
}
