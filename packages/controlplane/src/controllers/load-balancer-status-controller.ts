// type LoadBalancer without a cloud: Skiff serves such a Service as a
// NodePort on every node, and says so in status.loadBalancer.ingress — one
// entry per node's InternalIP, sorted — so `get svc` shows where it answers.
// Other types have no ingress (an earlier one is cleared).
import { isDeepStrictEqual } from 'node:util';
import { ConflictError, kindInfo, NotFoundError, type Node, type Service } from '@skiff/api';
import { keyOf, runController, thaw, WorkQueue, type ControllerLogger, type Immutable, type Informer, type RunningController } from '../cache/index.js';
import type { ObjectStore } from '../objects/object-store.js';

const SERVICE = kindInfo('Service');

export interface LoadBalancerStatusControllerOptions {
  readonly objects: ObjectStore;
  readonly services: Informer<Service>;
  readonly nodes: Informer<Node>;
  readonly log: ControllerLogger;
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
    const ingress = cached.spec.type === 'LoadBalancer' ? internalIPs(this.options.nodes.list()).map((ip) => ({ ip })) : [];
    const current = cached.status?.loadBalancer?.ingress ?? [];
    if (isDeepStrictEqual(current, ingress)) return;
    const service = thaw<Service>(cached);
    const status = { ...service.status };
    if (ingress.length > 0) status.loadBalancer = { ingress };
    else delete status.loadBalancer;
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
