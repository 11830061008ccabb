// Wires the control plane together: store → objects → API service → gRPC and
// HTTP servers. main.ts only parses flags and handles signals.
import { setTimeout as delay } from 'node:timers/promises';
import { BACKOFF, Backoff, apiServiceDefinition, nodeApiServiceDefinition, type Lease, type Node, type Pod } from '@skiff/api';
import type { Logger } from 'pino';
import { Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { ApiService } from './api/api-service.js';
import { InformerFactory } from './cache/index.js';
import { NodeLifecycleController, startControllers, type RunningControllers } from './controllers/index.js';
import { createGrpcHandlers } from './grpc/api-handlers.js';
import { createApiMetrics } from './grpc/api-metrics.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/grpc-server.js';
import { LogsProxy } from './grpc/logs-proxy.js';
import { createNodeHandlers } from './grpc/node-api-handlers.js';
import { OpenStreams } from './grpc/watch-stream.js';
import { startHttpServer, type RunningHttpServer } from './http/http-server.js';
import { NODE_LEASE_NAMESPACE, NodeRegistrar, type NodeTimings } from './nodes/node-registrar.js';
import { PodCidrAllocator, type PodNetworkConfig } from './nodes/pod-cidr-allocator.js';
import { EventRecorder } from './objects/event-recorder.js';
import { ObjectStore } from './objects/object-store.js';
import { Scheduler, type Strategy } from './scheduler/index.js';
import { EtcdStore, type Store } from './store/index.js';

export interface ControlPlaneConfig {
  readonly etcdEndpoints: readonly string[];
  /**
   * host:port for gRPC; port 0 picks a free one. Several comma-separated
   * addresses are all bound on the one server; the first is the primary
   * (announced as grpcAddress), e.g. loopback plus an interface agents elsewhere can reach.
   */
  readonly grpcAddress: string;
  /** host:port for /healthz, /readyz, /metrics; port 0 picks a free one. */
  readonly httpAddress: string;
  readonly shutdownGraceMs: number;
  readonly nodeTimings: NodeTimings;
  /** Bin-pack (best fit, the default) or spread (least allocated). */
  readonly schedulingStrategy: Strategy;
  readonly podNetwork: PodNetworkConfig;
  /** How long a node stays NotReady before its pods are evicted. */
  readonly podEvictionTimeoutMs: number;
}

export class ControlPlane {
  private store?: Store;
  private grpc?: RunningGrpcServer;
  private http?: RunningHttpServer;
  private logs?: LogsProxy;
  private readonly streams = new OpenStreams();
  private controllers?: RunningControllers;
  private scheduler?: Scheduler;
  private informers?: InformerFactory;
  private nodeLifecycle?: NodeLifecycleController;

  constructor(
    private readonly config: ControlPlaneConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<{ grpcAddress: string; grpcAddresses: readonly string[]; httpAddress: string }> {
    // Checked before anything starts, so a typo fails fast with the flag's value.
    const grpcAddresses = listenAddresses(this.config.grpcAddress);
    const store = new EtcdStore({ endpoints: [...this.config.etcdEndpoints] });
    this.store = store;
    const objects = new ObjectStore(store);
    const api = new ApiService(objects);
    await this.waitForStore(() => api.ensureBuiltinNamespaces());

    // One informer per kind for every loop; each loop adds its handlers before the informers start.
    const informers = new InformerFactory({ objects, log: this.log });
    this.informers = informers;
    this.controllers = startControllers({ objects, informers, log: this.log });
    this.scheduler = new Scheduler({
      objects,
      pods: informers.informerFor<Pod>('Pod'),
      nodes: informers.informerFor<Node>('Node'),
      events: new EventRecorder(objects),
      strategy: this.config.schedulingStrategy,
      log: this.log,
    });
    this.scheduler.start();
    this.nodeLifecycle = new NodeLifecycleController({
      objects,
      nodes: informers.informerFor<Node>('Node'),
      leases: informers.informerFor<Lease>('Lease'),
      pods: informers.informerFor<Pod>('Pod'),
      events: new EventRecorder(objects),
      log: this.log,
      leaseNamespace: NODE_LEASE_NAMESPACE,
      leaseDurationMs: this.config.nodeTimings.leaseDurationMs,
      podEvictionTimeoutMs: this.config.podEvictionTimeoutMs,
      storeHealthy: () => store.ping(500),
    });
    this.nodeLifecycle.start();
    informers.start();

    const metricsRegistry = new MetricsRegistry();
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'skiff_controlplane_' });
    const metrics = createApiMetrics(metricsRegistry);
    const nodes = new NodeRegistrar(objects, new PodCidrAllocator(store, this.config.podNetwork), this.config.nodeTimings);
    this.logs = new LogsProxy(objects, metrics, this.log, this.streams);
    const context = { metrics, log: this.log, objects, streams: this.streams };
    this.grpc = await startGrpcServer(grpcAddresses, [
      { definition: apiServiceDefinition(), handlers: createGrpcHandlers({ ...context, api, nodes, logs: this.logs }) },
      { definition: nodeApiServiceDefinition(), handlers: createNodeHandlers({ ...context, nodes, podNetwork: this.config.podNetwork.clusterCidr }) },
    ]);
    const [httpHost, httpPort] = splitHostPort(this.config.httpAddress);
    this.http = await startHttpServer(httpHost, httpPort, { metrics: metricsRegistry, checkReady: () => store.ping(1000) });
    return { grpcAddress: this.grpc.address, grpcAddresses: this.grpc.addresses, httpAddress: this.http.address };
  }

  /** Graceful: in-flight requests finish (up to the grace period), then the store closes. */
  async stop(): Promise<void> {
    // Stop taking calls first, then end the watches, which never finish on
    // their own (clients resume from their last revision elsewhere or later);
    // in-flight unary requests complete within the grace period.
    const stopping = this.grpc?.stop(this.config.shutdownGraceMs);
    this.streams.endAll('the control plane is shutting down; reconnect');
    await stopping;
    this.logs?.close();
    await this.http?.close();
    await this.nodeLifecycle?.stop();
    await this.scheduler?.stop();
    await this.controllers?.stop();
    await this.informers?.stop();
    await this.store?.close();
  }

  /** etcd may start after us (or be restarting): retry with capped back-off, saying so. */
  private async waitForStore(step: () => Promise<void>): Promise<void> {
    const backoff = new Backoff(BACKOFF.storeStartup);
    for (;;) {
      try {
        await step();
        return;
      } catch (error) {
        if (backoff.attempts >= 59) throw error;
        const waitMs = backoff.next();
        const attempt = backoff.attempts;
        this.log.warn({ err: error, attempt, waitMs }, 'store not ready; retrying');
        await delay(waitMs);
      }
    }
  }
}

/** "a:1, b:2" → ["a:1", "b:2"], each checked to be host:port. */
export function listenAddresses(list: string): string[] {
  const addresses = list.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (addresses.length === 0) throw new Error(`"${list}" names no host:port to listen on`);
  for (const address of addresses) splitHostPort(address);
  return addresses;
}

export function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${address}" is not host:port (for example 127.0.0.1:7401)`);
  }
  return [address.slice(0, colon), port];
}
