// The pure part of the DaemonSet controller, as Kubernetes'
// pkg/controller/daemon: which nodes should run a daemon pod, what a daemon
// pod looks like, which pods to create and delete per node, which old pods a
// rolling update may replace now, and the DaemonSet's status. No I/O here.
import {
  CONTROLLER_REVISION_HASH_LABEL,
  cpuMillis,
  firstUntoleratedTaintWith,
  memoryBytes,
  TAINT_NODE_NOT_READY,
  podResourceTotals,
  toTimestamp,
  withDaemonPodTolerations,
  type DaemonSet,
  type DaemonSetStatus,
  type Node,
  type Pod,
  type PodSpec,
  type PodTemplateSpec,
} from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import { controllerReferenceTo, isPodAvailable } from './replica-set-pods.js';

/** Kubernetes' nodeShouldRunDaemonPod: may a new daemon pod go there, and may one already there stay? */
export interface NodePlacement {
  readonly shouldRun: boolean;
  readonly shouldContinueRunning: boolean;
  /** Why not, in the scheduler's wording. */
  readonly reason?: string;
}

/** The pod spec daemon pods get: the template's, with the tolerations Kubernetes adds (DAEMON_POD_TOLERATIONS). */
export function daemonPodSpec(daemonSet: Immutable<DaemonSet>): PodSpec {
  const spec = thaw<PodSpec>(daemonSet.spec.template.spec);
  return { ...spec, tolerations: withDaemonPodTolerations(spec.tolerations) };
}

/**
 * The template's nodeSelector must match the node's labels; a NoExecute taint
 * the pod does not tolerate keeps it off and evicts one there; a NoSchedule
 * one keeps new pods off but lets a running one stay (as Kubernetes).
 * Skiff pods have no node affinity, so nodeSelector is the whole selection.
 */
export function nodeShouldRunDaemonPod(node: Immutable<Node>, spec: Immutable<PodSpec>): NodePlacement {
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[key] !== value) return { shouldRun: false, shouldContinueRunning: false, reason: "node(s) didn't match Pod's node affinity/selector" };
  }
  const taints = effectiveTaints(node);
  const tolerations = spec.tolerations ?? [];
  const evicting = firstUntoleratedTaintWith(taints, tolerations, ['NoExecute']);
  if (evicting) return { shouldRun: false, shouldContinueRunning: false, reason: untoleratedText(evicting) };
  const blocking = firstUntoleratedTaintWith(taints, tolerations, ['NoSchedule']);
  if (blocking) return { shouldRun: false, shouldContinueRunning: true, reason: untoleratedText(blocking) };
  return { shouldRun: true, shouldContinueRunning: true };
}

/**
 * The node's taints, plus not-ready:NoSchedule while it is not Ready (a node
 * Join created has not even registered): what Kubernetes' TaintNodesByCondition
 * puts there, so a daemon pod waits for the node to be Ready (the daemon
 * tolerations cover not-ready:NoExecute only) but one already there stays.
 * Where Skiff's node lifecycle controller writes that taint itself, this adds nothing.
 */
export function effectiveTaints(node: Immutable<Node>): readonly Immutable<NonNullable<Node['spec']['taints']>[number]>[] {
  const taints = node.spec.taints ?? [];
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  if (ready || taints.some((t) => t.key === TAINT_NODE_NOT_READY && t.effect === 'NoSchedule')) return taints;
  return [...taints, { key: TAINT_NODE_NOT_READY, effect: 'NoSchedule' }];
}

function untoleratedText(taint: { key: string; value?: string }): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/**
 * Whether a new pod of `spec` fits beside `others` (the node's other pods that
 * have not finished): the scheduler's resource filters, because daemon pods
 * are bound here rather than by the scheduler. Undefined when it fits.
 */
export function resourceMisfit(node: Immutable<Node>, spec: Immutable<PodSpec>, others: readonly Immutable<Pod>[]): string | undefined {
  const allocatable = node.status?.allocatable ?? node.status?.capacity;
  if (!allocatable) return undefined; // a node that reported nothing is not judged (the scheduler's node-info reads it as unlimited too)
  const want = podResourceTotals({ spec: thaw<PodSpec>(spec) }).requests;
  let cpu = 0;
  let memory = 0;
  for (const pod of others) {
    const requests = podResourceTotals({ spec: thaw<PodSpec>(pod.spec) }).requests;
    cpu += requests.cpuMillis;
    memory += requests.memoryBytes;
  }
  if (allocatable.cpu !== undefined && want.cpuMillis > 0 && cpu + want.cpuMillis > cpuMillis(allocatable.cpu)) return 'Insufficient cpu';
  if (allocatable.memory !== undefined && want.memoryBytes > 0 && memory + want.memoryBytes > memoryBytes(allocatable.memory)) return 'Insufficient memory';
  if (allocatable.pods !== undefined && others.length + 1 > Number(allocatable.pods)) return 'Too many pods';
  return undefined;
}

/** A new daemon pod for `nodeName`, bound there (Skiff's scheduler has no node affinity to bind it by). */
export function buildDaemonPod(daemonSet: Immutable<DaemonSet>, name: string, nodeName: string, hash: string, now: Date, uid: string): Pod {
  const template = thaw<PodTemplateSpec>(daemonSet.spec.template);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: daemonSet.metadata.namespace ?? 'default',
      uid,
      generation: 1,
      creationTimestamp: toTimestamp(now),
      labels: { ...template.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerReferenceTo(daemonSet)],
    },
    spec: { ...daemonPodSpec(daemonSet), nodeName },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: toTimestamp(now) }] },
  };
  const annotations = template.metadata?.annotations;
  if (annotations && Object.keys(annotations).length > 0) pod.metadata.annotations = annotations;
  return pod;
}

export function isUpdated(pod: Immutable<Pod>, hash: string): boolean {
  return pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
}

/** Oldest first (ties by name), as Kubernetes sorts a node's daemon pods. */
export function oldestFirst(pods: readonly Immutable<Pod>[]): Immutable<Pod>[] {
  const created = (pod: Immutable<Pod>): number => {
    const at = Date.parse(pod.metadata.creationTimestamp ?? '');
    return Number.isNaN(at) ? Number.MAX_SAFE_INTEGER : at;
  };
  return [...pods].sort((a, b) => created(a) - created(b) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

/** The DaemonSet's pods by node name; unbound ones under "". Finished pods already marked for deletion are left out (as Kubernetes). */
export function podsByNode(pods: readonly Immutable<Pod>[]): Map<string, Immutable<Pod>[]> {
  const byNode = new Map<string, Immutable<Pod>[]>();
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp !== undefined && (phase === 'Succeeded' || phase === 'Failed')) continue;
    const node = pod.spec.nodeName ?? '';
    byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  return byNode;
}

export interface NodePlan {
  /** Nodes that need a daemon pod (and may take one: resources were checked by the caller's `misfit`). */
  readonly create: string[];
  readonly delete: Immutable<Pod>[];
  /** Nodes whose daemon pod failed (it is among `delete`): the caller backs off before replacing it. */
  readonly failed: string[];
  /** Nodes that should run the pod but where it does not fit, with the reason. */
  readonly failedPlacements: { node: string; reason: string }[];
}

/**
 * Kubernetes' podsShouldBeOnNode over every node: a node that should run the
 * pod and has none running gets one; of several, the oldest stays (an updated
 * one preferred); finished pods are deleted (the next sync replaces them);
 * a node that may no longer keep its pod loses it. Unbound pods of the
 * DaemonSet (not made by it) go too.
 */
export function planDaemonPods(
  nodes: readonly Immutable<Node>[],
  byNode: ReadonlyMap<string, readonly Immutable<Pod>[]>,
  placementOf: (node: Immutable<Node>) => NodePlacement,
  misfit: (node: Immutable<Node>) => string | undefined,
  hash: string,
): NodePlan {
  const plan: NodePlan = { create: [], delete: [], failed: [], failedPlacements: [] };
  for (const node of nodes) {
    const name = node.metadata.name;
    const pods = byNode.get(name) ?? [];
    const placement = placementOf(node);
    const live = pods.filter((pod) => pod.metadata.deletionTimestamp === undefined);
    const running = live.filter((pod) => pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded');
    if (placement.shouldRun) {
      plan.delete.push(...live.filter((pod) => !running.includes(pod)));
      if (live.some((pod) => pod.status?.phase === 'Failed')) plan.failed.push(name);
      if (running.length === 0) {
        const reason = misfit(node);
        if (reason === undefined) plan.create.push(name);
        else plan.failedPlacements.push({ node: name, reason });
      } else if (running.length > 1) {
        const ordered = oldestFirst(running);
        const keep = ordered.find((pod) => isUpdated(pod, hash)) ?? ordered[0];
        plan.delete.push(...ordered.filter((pod) => pod !== keep));
      }
    } else if (!placement.shouldContinueRunning) {
      plan.delete.push(...live);
    } else {
      // May stay (an untolerated NoSchedule taint): only finished ones go, and no new one comes.
      plan.delete.push(...live.filter((pod) => !running.includes(pod)));
    }
  }
  plan.delete.push(...(byNode.get('') ?? []).filter((pod) => pod.metadata.deletionTimestamp === undefined));
  return plan;
}

/** Kubernetes' unavailableCount: maxUnavailable of the desired number, percentages rounded up; never 0 (there is no surge to move with). */
export function maxUnavailableOf(daemonSet: Immutable<DaemonSet>, desired: number): number {
  const value = daemonSet.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const scaled = typeof value === 'number' ? value : Math.ceil((parseInt(value, 10) * desired) / 100);
  return Math.max(1, scaled);
}

/**
 * Kubernetes' rollingUpdate without surge: a node whose pod is being
 * replaced (none, or old and new at once) or whose new pod is not yet
 * available counts as unavailable; old pods that are not available are
 * replaced at once; available old ones only while fewer than maxUnavailable
 * nodes are unavailable. Returns the old pods to delete now (the next sync
 * creates their successors).
 */
export function planRollingUpdate(
  byNode: ReadonlyMap<string, readonly Immutable<Pod>[]>,
  hash: string,
  maxUnavailable: number,
  available: (pod: Immutable<Pod>) => boolean,
): Immutable<Pod>[] {
  let unavailable = 0;
  const replaceNow: Immutable<Pod>[] = [];
  const candidates: Immutable<Pod>[] = [];
  for (const [node, pods] of [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (node === '') continue;
    const live = pods.filter((pod) => pod.metadata.deletionTimestamp === undefined);
    const fresh = live.filter((pod) => isUpdated(pod, hash));
    const old = live.filter((pod) => !isUpdated(pod, hash));
    if (fresh.length > 1 || old.length > 1 || (fresh.length === 0) === (old.length === 0)) {
      unavailable++; // being replaced, or duplicates the manage step sorts out
    } else if (fresh[0]) {
      if (!available(fresh[0])) unavailable++;
    } else if (old[0]) {
      if (!available(old[0])) replaceNow.push(old[0]);
      else if (unavailable < maxUnavailable) candidates.push(old[0]);
    }
  }
  const budget = Math.max(0, Math.min(maxUnavailable - unavailable, candidates.length));
  return [...replaceNow, ...candidates.slice(0, budget)];
}

export interface DaemonStatusInput {
  readonly nodes: readonly Immutable<Node>[];
  readonly byNode: ReadonlyMap<string, readonly Immutable<Pod>[]>;
  readonly placementOf: (node: Immutable<Node>) => NodePlacement;
  readonly hash: string;
  readonly readySince: (pod: Immutable<Pod>) => number | undefined;
  readonly nowMs: number;
}

/** Kubernetes' updateDaemonSetStatus (each node judged by its oldest pod), and when a Ready pod becomes available. */
export function computeDaemonSetStatus(daemonSet: Immutable<DaemonSet>, input: DaemonStatusInput): { status: DaemonSetStatus; recheckAtMs?: number } {
  const minReadySeconds = daemonSet.spec.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  let recheckAtMs: number | undefined;
  for (const node of input.nodes) {
    const pods = input.byNode.get(node.metadata.name) ?? [];
    const placement = input.placementOf(node);
    if (!placement.shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    const [pod] = oldestFirst(pods);
    if (!pod) continue;
    current++;
    const since = input.readySince(pod);
    if (since !== undefined) {
      ready++;
      if (isPodAvailable(since, minReadySeconds, input.nowMs)) available++;
      else {
        const at = since + minReadySeconds * 1000;
        recheckAtMs = recheckAtMs === undefined ? at : Math.min(recheckAtMs, at);
      }
    }
    if (isUpdated(pod, input.hash)) updated++;
  }
  const status: DaemonSetStatus = {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
  };
  if (daemonSet.metadata.generation !== undefined) status.observedGeneration = daemonSet.metadata.generation;
  return recheckAtMs === undefined ? { status } : { status, recheckAtMs };
}
