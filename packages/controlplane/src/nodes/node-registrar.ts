// What agents may do to their Nodes: register (refresh what the agent knows —
// capacity, addresses, runtime, its own conditions — and keep what users own —
// cordon, taints, their labels), heartbeat, and what ctl may do: cordon.
//
// A heartbeat costs no etcd write: it is noted in the in-memory liveness table
// (cache/node-liveness.ts) that the node judge reads. etcd is written only on
// a transition: a node the Node object says is not Ready that speaks again is
// made Ready (read from the informer cache, so a Ready node's heartbeat does
// not even read etcd). No Lease is written per heartbeat (README: Node liveness).
import {
  AGENT_OWNED_NODE_ANNOTATIONS,
  ConflictError,
  InvalidError,
  isDns1123Subdomain,
  isQuantity,
  kindInfo,
  NotFoundError,
  type Lease,
  type Node,
  type NodeCondition,
} from '@skiff/api';
import type { Immutable, Informer } from '../cache/informer.js';
import { NodeLiveness, type HeartbeatTerms } from '../cache/node-liveness.js';
import type { ObjectStore } from '../objects/object-store.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import type { PodCidrAllocator } from './pod-cidr-allocator.js';

const NODE = kindInfo('Node');
const LEASE = kindInfo('Lease');
import { NODE_LEASE_NAMESPACE } from '@skiff/api';

export interface NodeTimings {
  readonly heartbeatIntervalMs: number;
  readonly leaseDurationMs: number;
  /** The fleet's heartbeat rate the control plane answers at most: intervals grow past it (cache/node-liveness.ts). */
  readonly maxHeartbeatsPerSecond?: number;
}

export interface NodePresence {
  /** Where heartbeats are noted (shared with the node lifecycle controller). */
  readonly liveness: NodeLiveness;
  /** The Node cache: a Ready node's heartbeat is answered from it without reading etcd. */
  readonly nodes?: Informer<Node>;
}

export class NodeRegistrar {
  readonly liveness: NodeLiveness;
  private readonly nodeCache?: Informer<Node>;

  constructor(
    private readonly objects: ObjectStore,
    private readonly cidrs: PodCidrAllocator,
    readonly timings: NodeTimings,
    private readonly clock: () => Date = () => new Date(),
    presence: NodePresence = { liveness: new NodeLiveness(timings, () => clock().getTime()) },
  ) {
    this.liveness = presence.liveness;
    this.nodeCache = presence.nodes;
  }

  async register(reported: Node): Promise<Node> {
    const name = checkReportedNode(reported);
    const podCIDR = await this.cidrs.allocate(name);
    const node = await retryOnConflict(async () => {
      const existing = await this.objects.get<Node>(NODE, undefined, name);
      const registered = existing?.status?.capacity !== undefined;
      const now = this.clock().toISOString();
      const next: Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          ...(existing?.metadata ?? { name, uid: crypto.randomUUID(), creationTimestamp: now, generation: 1 }),
          name,
          labels: { ...existing?.metadata.labels, ...reported.metadata.labels, 'kubernetes.io/hostname': name },
          ...annotationsOf(existing, reported),
        },
        // Taints the agent registers with apply on first registration only
        // (like kubelet's --register-with-taints); afterwards they are the user's.
        // A Node that Join created has reported no capacity yet: its first registration is still to come.
        spec: {
          ...existing?.spec,
          ...(!registered && reported.spec.taints?.length ? { taints: reported.spec.taints } : {}),
          podCIDR,
        },
        status: {
          ...reported.status,
          allocatable: reported.status?.allocatable ?? reported.status?.capacity,
          // Ready is the control plane's to judge; the others (MemoryPressure) the agent's.
          conditions: [readyCondition(existing, now), ...agentConditions(reported, now)],
        },
      };
      return existing
        ? this.objects.update(NODE, next, Number(existing.metadata.resourceVersion))
        : this.objects.create(NODE, next);
    });
    this.liveness.heard(name);
    await this.removeLegacyLease(name);
    return node;
  }

  /**
   * The node is alive: noted in memory. Only a node the Node object does not
   * call Ready (the judge marked it Unknown while it was silent) costs a write:
   * it is Ready again at once. The cache answers for a Ready node; a node the
   * cache does not know (yet) is read from etcd, and one that is not there is
   * NOT_FOUND, so its agent registers again.
   */
  async heartbeat(name: string): Promise<HeartbeatTerms> {
    const cached = this.nodeCache?.hasSynced() ? this.nodeCache.get(name) : undefined;
    if (cached && isReadyNode(cached)) return this.liveness.heard(name);
    return retryOnConflict(async () => {
      const node = await this.objects.get<Node>(NODE, undefined, name);
      if (!node) throw new NotFoundError(`node "${name}" is not registered; register it first`);
      const terms = this.liveness.heard(name);
      if (isReadyNode(node)) return terms;
      const now = this.clock().toISOString();
      const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      const next: Node = { ...node, status: { ...node.status, conditions: [readyCondition(undefined, now), ...others] } };
      await this.objects.update(NODE, next, Number(node.metadata.resourceVersion));
      return terms;
    });
  }

  /** The heartbeat interval and lease for the fleet as large as it is now (what a registering agent is told). */
  terms(): HeartbeatTerms {
    return this.liveness.terms();
  }

  async cordon(name: string, unschedulable: boolean): Promise<Node> {
    return retryOnConflict(async () => {
      const node = await this.objects.mustGet<Node>(NODE, undefined, name);
      if (Boolean(node.spec.unschedulable) === unschedulable) return node;
      const next: Node = { ...node, spec: { ...node.spec, unschedulable } };
      if (!unschedulable) delete next.spec.unschedulable;
      return this.objects.update(NODE, next, Number(node.metadata.resourceVersion));
    });
  }

  /**
   * Earlier versions renewed a Lease per heartbeat in NODE_LEASE_NAMESPACE.
   * Nothing renews it now, so a reader would take it for a dead node: it goes
   * when the node registers. (Registration is rare; a heartbeat never looks.)
   */
  private async removeLegacyLease(name: string): Promise<void> {
    const lease = await this.objects.get<Lease>(LEASE, NODE_LEASE_NAMESPACE, name);
    if (!lease) return;
    await this.objects.delete(LEASE, NODE_LEASE_NAMESPACE, name, Number(lease.metadata.resourceVersion)).catch((error: unknown) => {
      if (!(error instanceof NotFoundError) && !(error instanceof ConflictError)) throw error;
    });
  }
}

function isReadyNode(node: Immutable<Node> | Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** The existing annotations, with the agent-owned ones (its VTEP) replaced by what it reports now. */
function annotationsOf(existing: Node | undefined, reported: Node): { annotations?: Record<string, string> } {
  const annotations: Record<string, string> = { ...existing?.metadata.annotations };
  for (const key of AGENT_OWNED_NODE_ANNOTATIONS) {
    delete annotations[key];
    const value = reported.metadata.annotations?.[key];
    if (typeof value === 'string' && value !== '') annotations[key] = value;
  }
  return existing?.metadata.annotations !== undefined || Object.keys(annotations).length > 0 ? { annotations } : {};
}

function readyCondition(existing: Node | undefined, now: string): NodeCondition {
  const previous = existing?.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    type: 'Ready',
    status: 'True',
    reason: 'AgentReady',
    message: 'the node agent is registered and heartbeating',
    lastHeartbeatTime: now,
    lastTransitionTime: previous?.status === 'True' ? (previous.lastTransitionTime ?? now) : now,
  };
}

/** The conditions the agent judges itself, as it reported them (heartbeat time: now). */
function agentConditions(reported: Node, now: string): NodeCondition[] {
  return (reported.status?.conditions ?? [])
    .filter((c) => c.type !== 'Ready')
    .map((c) => ({ ...c, lastHeartbeatTime: now, lastTransitionTime: c.lastTransitionTime ?? now }));
}

function checkReportedNode(node: Node): string {
  const name = node?.metadata?.name;
  if (typeof name !== 'string' || !isDns1123Subdomain(name)) {
    throw new InvalidError(`metadata.name: a node name must be a lowercase RFC 1123 subdomain, not ${JSON.stringify(name)}`);
  }
  for (const [resource, value] of Object.entries(node.status?.capacity ?? {})) {
    if (value !== undefined && !isQuantity(value)) {
      throw new InvalidError(`status.capacity.${resource}: must be a quantity like 4 or 8Gi, not ${JSON.stringify(value)}`);
    }
  }
  for (const [i, condition] of (node.status?.conditions ?? []).entries()) {
    const valid =
      typeof condition?.type === 'string' &&
      /^[A-Za-z][A-Za-z0-9]*$/.test(condition.type) &&
      ['True', 'False', 'Unknown'].includes(condition.status) &&
      (condition.reason === undefined || typeof condition.reason === 'string') &&
      (condition.message === undefined || typeof condition.message === 'string') &&
      (condition.lastTransitionTime === undefined || !Number.isNaN(Date.parse(condition.lastTransitionTime)));
    if (!valid) {
      throw new InvalidError(`status.conditions[${i}]: must have a CamelCase type, a status of True, False or Unknown, and string reason, message and lastTransitionTime`);
    }
  }
  if (!node.status?.capacity?.cpu || !node.status.capacity.memory) {
    throw new InvalidError('status.capacity: cpu and memory are required so pods can be placed on the node');
  }
  return name;
}
