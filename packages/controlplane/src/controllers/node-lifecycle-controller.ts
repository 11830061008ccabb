// Node lifecycle: a node's conditions (and cordon) are mirrored as Kubernetes'
// NoSchedule condition taints (node-condition-taints.ts). A node not heard
// from for a lease (by the in-memory liveness table the node registrar feeds,
// cache/node-liveness.ts) becomes NotReady (Ready=Unknown, with the reason,
// the last time it was heard and the transition time); once it has stayed
// NotReady for the eviction timeout its pods are deleted, and the deployment
// controller replaces them on healthy nodes. A node that heartbeats again is
// Ready again (NodeRegistrar.heartbeat). Silence is judged by the control
// plane's clock only, so agents' clocks do not matter; etcd is written only on
// these transitions, never per heartbeat.
//
// Guards against evicting because *we* were blind rather than the node dead:
// nothing is judged until a full lease period after this controller started
// (the liveness table counts a node it has not heard since it started as heard
// at its start, too) or after the store last failed to answer, and when every
// node goes silent at once nothing is evicted (that is a control-plane or
// network problem, not a fleet of dead nodes): a node is evicted only once it
// has been silent for its lease and one more heartbeat interval, when all the
// nodes that stopped with it are silent too (their last heartbeats were spread
// over one interval; at 1,000 nodes that is 5 s).
import { isTerminalPod, kindInfo, type Node, type NodeCondition, type Pod } from '@skiff/api';
import type { EventRecorder } from '../objects/event-recorder.js';
import type { ObjectStore } from '../objects/object-store.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { reconciledTaints } from './node-condition-taints.js';
import { thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { NodeLiveness } from '../cache/node-liveness.js';
import type { ControllerLogger } from '../cache/logger.js';

const NODE = kindInfo('Node');
const POD = kindInfo('Pod');

export interface NodeLifecycleOptions {
  readonly objects: ObjectStore;
  readonly nodes: Informer<Node>;
  /** When each node was last heard (its heartbeats and registrations), shared with the node registrar. */
  readonly liveness: NodeLiveness;
  readonly pods: Informer<Pod>;
  readonly events: EventRecorder;
  readonly log: ControllerLogger;
  /** A node not heard from for this long is NotReady (the liveness table scales it with a large fleet's interval). */
  readonly leaseDurationMs: number;
  /** How long a node stays NotReady before its pods are evicted. */
  readonly podEvictionTimeoutMs: number;
  /** Resolves when the store answers; rejects otherwise. */
  readonly storeHealthy: () => Promise<void>;
  readonly clock?: () => number;
}

export class NodeLifecycleController {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** Before this time nothing is judged (start-up, store outages). */
  private judgeAfter: number;
  private readonly now: () => number;

  constructor(private readonly options: NodeLifecycleOptions) {
    this.now = options.clock ?? Date.now;
    this.judgeAfter = this.now() + options.leaseDurationMs;
  }

  start(): void {
    const every = Math.max(50, Math.min(250, Math.floor(this.options.leaseDurationMs / 8)));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    this.running = this.check()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'node lifecycle check failed'))
      .finally(() => (this.running = undefined));
  }

  private async check(): Promise<void> {
    const { nodes, pods, liveness } = this.options;
    if (!nodes.hasSynced() || !pods.hasSynced()) return;
    try {
      await this.options.storeHealthy();
    } catch {
      // Nothing can be marked while the store is away, and agents that fail over meanwhile may not
      // reach us: give them a full lease after it returns.
      this.judgeAfter = this.now() + Math.max(this.options.leaseDurationMs, this.options.liveness.terms().leaseDurationMs);
      return;
    }
    // Conditions become NoSchedule taints at once; judging silence waits (below).
    for (const node of nodes.list()) await this.reconcileTaints(node);
    const now = this.now();
    if (now < this.judgeAfter) return;

    // Nodes that never registered are not judged, nor counted among those that could fall silent.
    const listed = nodes.list();
    liveness.retainOnly(new Set(listed.map((node) => node.metadata.name)));
    const all = listed.filter((node) => readyCondition(node) !== undefined);
    const silent = all.filter((node) => this.silent(node.metadata.name));
    if (silent.length > 1 && silent.length === all.length) {
      this.options.log.warn({ nodes: silent.length }, 'every node is silent at once; not marking or evicting anything');
      return;
    }
    for (const node of silent) await this.markNotReady(thaw<Node>(node), now);
    for (const node of nodes.list()) {
      const ready = readyCondition(node);
      if (!ready || ready.status === 'True') continue;
      const since = Date.parse(ready.lastTransitionTime ?? '') || now;
      // Evicted only once silent past its lease and one more interval, so that a silence of the whole fleet
      // (nodes go silent over one interval, as their last heartbeats were spread) is seen whole first.
      if (now - since >= this.options.podEvictionTimeoutMs && this.options.liveness.isSilentPastWindow(node.metadata.name)) {
        await this.evictPods(node.metadata.name);
      }
    }
  }

  /** Not heard from for its lease (a node the table never heard counts from the table's start). */
  private silent(nodeName: string): boolean {
    return this.options.liveness.isSilent(nodeName);
  }

  private async markNotReady(cached: Node, now: number): Promise<void> {
    if (readyCondition(cached)?.status === 'Unknown') return;
    const { liveness } = this.options;
    const name = cached.metadata.name;
    const last = liveness.hasHeard(name) ? new Date(liveness.lastHeard(name)).toISOString() : 'never';
    await retryOnConflict(async () => {
      const node = await this.options.objects.get<Node>(NODE, undefined, cached.metadata.name);
      if (!node || readyCondition(node)?.status === 'Unknown') return;
      const condition: NodeCondition = {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: last === 'never' ? 'the node agent has not been heard from since the control plane started' : `the node agent stopped heartbeating (last heard ${last})`,
        lastHeartbeatTime: last === 'never' ? (readyCondition(node)?.lastHeartbeatTime ?? new Date(now).toISOString()) : last,
        lastTransitionTime: new Date(now).toISOString(),
      };
      const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      await this.options.objects.update(NODE, { ...node, status: { ...node.status, conditions: [condition, ...others] } }, Number(node.metadata.resourceVersion));
    });
    this.options.log.warn({ node: name, lastHeard: last }, 'node is NotReady');
    await this.options.events
      .record({ involved: cached, type: 'Warning', reason: 'NodeNotReady', message: `Node ${cached.metadata.name} status is now: NodeNotReady`, component: 'node-lifecycle' })
      .catch(() => undefined);
  }

  /** Mirrors the node's conditions and cordon as Kubernetes' NoSchedule taints (node-condition-taints.ts). */
  private async reconcileTaints(cached: Immutable<Node>): Promise<void> {
    if (reconciledTaints(cached) === undefined) return;
    await retryOnConflict(async () => {
      const node = await this.options.objects.get<Node>(NODE, undefined, cached.metadata.name);
      const taints = node ? reconciledTaints(node) : undefined;
      if (!node || !taints) return;
      await this.options.objects.update(NODE, { ...node, spec: { ...node.spec, taints } }, Number(node.metadata.resourceVersion));
    });
  }

  private async evictPods(nodeName: string): Promise<void> {
    // Deleted at once (grace 0), terminating ones too: no agent is there to stop them and confirm
    // (Kubernetes' pod GC force-deletes the pods of nodes that are gone).
    const victims = this.options.pods.listBy((pod) => pod.spec.nodeName === nodeName);
    for (const cached of victims) {
      const pod = thaw<Pod>(cached);
      if (isTerminalPod(pod)) continue;
      await retryOnConflict(async () => {
        const current = await this.options.objects.get<Pod>(POD, pod.metadata.namespace, pod.metadata.name);
        if (!current || current.metadata.uid !== pod.metadata.uid || current.spec.nodeName !== nodeName) return;
        await this.options.objects.delete(POD, current.metadata.namespace, current.metadata.name, Number(current.metadata.resourceVersion));
      });
      this.options.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, node: nodeName }, 'evicted pod from NotReady node');
    }
  }
}

function readyCondition(node: { readonly status?: { readonly conditions?: readonly NodeCondition[] } }): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready') as NodeCondition | undefined;
}
