// type LoadBalancer without a cloud: Skiff serves such a Service as a
// NodePort on every node, and says so in status.loadBalancer.ingress — one
// entry per node's InternalIP, sorted — so `get svc` shows where it answers.
// and a condition ServedAsNodePort says how. Other types have neither (an
// earlier one is cleared).
import { isDeepStrictEqual } from 'node:util';
import { ConflictError, kindInfo, NotFoundError, toTimestamp, type Node, type Service } from '@skiff/api';
import { keyOf, runController, thaw, WorkQueue, type ControllerLogger, type Immutable, type Informer, type RunningController } from '../cache/index.js';
import type { ObjectStore } from '../objects/object-store.js';

const SERVICE = kindInfo('Service');
export const SERVED_AS_NODE_PORT = 'ServedAsNodePort';
const SERVED_MESSAGE = 'no cloud load balancer: served as a NodePort on every node, at the addresses in status.loadBalancer.ingress';

export interface LoadBalancerStatusControllerOptions {
  readonly objects: ObjectStore;
  readonly services: Informer<Service>;
  readonly nodes: Informer<Node>;
  readonly log: ControllerLogger;
  readonly clock?: () => Date;
}

export class LoadBalancerStatusController {
  readonly queue = new WorkQueue();
  private running?: RunningController;

  constructor(private readonly options: LoadBalancerStatusControllerOptions) {}

  start(): void {
    const { services, nodes } = this.options;
    services.addHandlers({
      onAdd: (service) => this.queue.add(keyOf(service)),
      onUpdate: (_previous, current) => this.queue.add(keyOf(current)),
    });
    const allLoadBalancers = (): void => {
      for (const service of services.list()) if (service.spec.type === 'LoadBalancer') this.queue.add(keyOf(service));
    };
    nodes.addHandlers({
      onAdd: allLoadBalancers,
      onUpdate: (previous, current) => {
        if (!isDeepStrictEqual(internalIPs([previous]), internalIPs([current]))) allLoadBalancers();
      },
      onDelete: allLoadBalancers,
    });
    this.running = runController({
      name: 'loadbalancer-status',
      queue: this.queue,
      sync: (key) => this.sync(key),
      log: this.options.log,
      ready: Promise.all([services.waitForSync(), nodes.waitForSync()]).then(() => undefined),
    });
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.running?.stop();
  }

  async sync(key: string): Promise<void> {
    const cached = this.options.services.get(key);
    if (!cached) return;
    const balanced = cached.spec.type === 'LoadBalancer';
    const ingress = balanced ? internalIPs(this.options.nodes.list()).map((ip) => ({ ip })) : [];
    const service = thaw<Service>(cached);
    const status = { ...service.status };
    if (ingress.length > 0) status.loadBalancer = { ingress };
    else delete status.loadBalancer;
    const others = (status.conditions ?? []).filter((c) => c.type !== SERVED_AS_NODE_PORT);
    const previous = status.conditions?.find((c) => c.type === SERVED_AS_NODE_PORT);
    const conditions = balanced
      ? [...others, previous ?? { type: SERVED_AS_NODE_PORT, status: 'True' as const, reason: 'NoCloudLoadBalancer', message: SERVED_MESSAGE, lastTransitionTime: toTimestamp((this.options.clock ?? (() => new Date()))()) }]
      : others;
    if (conditions.length > 0) status.conditions = conditions;
    else delete status.conditions;
    if (isDeepStrictEqual(status, service.status ?? {})) return;
    try {
      await this.options.objects.update(SERVICE, { ...service, status }, Number(service.metadata.resourceVersion));
    } catch (error) {
      // Changed or gone since the cache saw it: the informer's event queues the next sync.
      if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
    }
  }
}

/** Every node's InternalIP, sorted and unique. */
export function internalIPs(nodes: readonly Immutable<Node>[]): string[] {
  const ips = nodes.flatMap((node) => (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address));
  return [...new Set(ips)].sort();
}
