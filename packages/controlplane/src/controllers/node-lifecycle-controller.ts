// Node lifecycle: a node's conditions (and cordon) are mirrored as Kubernetes'
// NoSchedule condition taints (node-condition-taints.ts). A node whose lease is not renewed in time becomes NotReady
// (Ready=Unknown, with the reason and the time); once it has stayed NotReady
// for the eviction timeout its pods are deleted, and the deployment controller
// replaces them on healthy nodes. A node that heartbeats again is Ready again
// (NodeRegistrar.heartbeat). Leases are judged by the control plane's clock
// only (the node registrar stamps renewTime), so agents' clocks do not matter.
//
// Guards against evicting because *we* were blind rather than the node dead:
// nothing is judged until a full lease period after this controller started or
// after the store last failed to answer (agents could not renew meanwhile),
// and when every node goes silent at once nothing is evicted (that is a
// control-plane or network problem, not a fleet of dead nodes).
import { isTerminalPod, kindInfo, type Lease, type Node, type NodeCondition, type Pod } from '@skiff/api';
import type { EventRecorder } from '../objects/event-recorder.js';
import type { ObjectStore } from '../objects/object-store.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { reconciledTaints } from './node-condition-taints.js';
import { thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { ControllerLogger } from '../cache/logger.js';

const NODE = kindInfo('Node');
const POD = kindInfo('Pod');

export interface NodeLifecycleOptions {
  readonly objects: ObjectStore;
  readonly nodes: Informer<Node>;
  readonly leases: Informer<Lease>;
  readonly pods: Informer<Pod>;
  readonly events: EventRecorder;
  readonly log: ControllerLogger;
  /** Namespace of node leases. */
  readonly leaseNamespace: string;
  /** A lease not renewed for this long means the node is NotReady. */
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
    const { nodes, leases, pods } = this.options;
    if (!nodes.hasSynced() || !leases.hasSynced() || !pods.hasSynced()) return;
    try {
      await this.options.storeHealthy();
    } catch {
      // Agents cannot renew while the store is away: give them a full lease after it returns.
      this.judgeAfter = this.now() + this.options.leaseDurationMs;
      return;
    }
    // Conditions become NoSchedule taints at once; judging silence waits (below).
    for (const node of nodes.list()) await this.reconcileTaints(node);
    const now = this.now();
    if (now < this.judgeAfter) return;

    // Nodes that never registered are not judged, nor counted among those that could fall silent.
    const all = nodes.list().filter((node) => readyCondition(node) !== undefined);
    const silent = all.filter((node) => this.silent(node, now));
    if (silent.length > 1 && silent.length === all.length) {
      this.options.log.warn({ nodes: silent.length }, 'every node is silent at once; not marking or evicting anything');
      return;
    }
    for (const node of silent) await this.markNotReady(thaw<Node>(node), now);
    for (const node of nodes.list()) {
      const ready = readyCondition(node);
      if (!ready || ready.status === 'True') continue;
      const since = Date.parse(ready.lastTransitionTime ?? '') || now;
      if (now - since >= this.options.podEvictionTimeoutMs && this.leaseExpired(node.metadata.name, now)) {
        await this.evictPods(node.metadata.name);
      }
    }
  }

  /**
   * Not heard from for a lease: by its lease, or, while the lease is not in
   * the cache yet, by the heartbeat time registration stamped. A node that
   * never registered (Join made it; its agent is still starting) is not judged.
   */
  private silent(node: Immutable<Node>, now: number): boolean {
    const lease = this.options.leases.get(`${this.options.leaseNamespace}/${node.metadata.name}`);
    const heard = lease?.spec.renewTime ?? readyCondition(node)?.lastHeartbeatTime;
    if (heard === undefined) return false;
    return now - Date.parse(heard) > this.options.leaseDurationMs;
  }

  private leaseExpired(nodeName: string, now: number): boolean {
    const lease = this.options.leases.get(`${this.options.leaseNamespace}/${nodeName}`);
    if (!lease) return true;
    return now - Date.parse(lease.spec.renewTime) > this.options.leaseDurationMs;
  }

  private async markNotReady(cached: Node, now: number): Promise<void> {
    if (readyCondition(cached)?.status === 'Unknown') return;
    const lease = this.options.leases.get(`${this.options.leaseNamespace}/${cached.metadata.name}`);
    const last = lease ? lease.spec.renewTime : 'never';
    await retryOnConflict(async () => {
      const node = await this.options.objects.get<Node>(NODE, undefined, cached.metadata.name);
      if (!node || readyCondition(node)?.status === 'Unknown') return;
      const condition: NodeCondition = {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: `the node agent stopped renewing its lease (last renewed ${last})`,
        lastHeartbeatTime: last === 'never' ? new Date(now).toISOString() : last,
        lastTransitionTime: new Date(now).toISOString(),
      };
      const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      await this.options.objects.update(NODE, { ...node, status: { ...node.status, conditions: [condition, ...others] } }, Number(node.metadata.resourceVersion));
    });
    this.options.log.warn({ node: cached.metadata.name, lastRenewed: last }, 'node is NotReady');
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
