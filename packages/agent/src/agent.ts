// Wires a node agent together: its credentials (joined with a token, renewed),
// its own gRPC server (logs), the channel to the control plane, the node
// session (registration + heartbeats), the assignment stream, the runtime,
// images and pod network, and the reconciler. main.ts only parses flags and signals.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, status } from '@grpc/grpc-js';
import {
  createApiClient,
  grpcCodeOf,
  type ApiClient,
  type Event,
  type Node,
  type NodeApiClient,
  type Pod,
  type PodStatus,
  RotatingCertificateProvider,
  type Secret,
} from '@skiff/api/core';
import { certificateNamesHost } from '@skiff/api/x509/facts';
import type { Logger } from 'pino';
import { Assignments } from './assignments.js';
import { channelCredentials, ControlPlaneLink } from './control-plane-link.js';
import {
  CertificateRenewer,
  enrollNode,
  joinCluster,
  removeNodeCredentials,
  type NodeCredentials,
} from './credentials/index.js';
import { ApiEventSink } from './events/api-event-sink.js';
import { hostOf } from './host-port.js';
import { startAgentServer } from './agent-server.js';
import { nodeObject } from './node-object.js';
import { unary } from './grpc-call.js';
import { DISCARD_POD_EVENTS, type PodEventSink } from './events/pod-events.js';
import type { EvictionManager } from './eviction/eviction-manager.js';
import { createEvictions, createPodCgroups, nodeResources, podCgroupManager } from './node-resources.js';
import type { ImageGarbageCollector } from './images/image-gc.js';
import { createNodeImages } from './images/node-images.js';
import { pullCredentialsOf } from './images/pull-secrets.js';
import { startAgentHttpServer, type RunningAgentHttpServer } from './metrics/agent-http-server.js';
import { resourceMetricsRegistry } from './metrics/prometheus-metrics.js';
import { ResourceSampler } from './metrics/resource-sampler.js';
import { BridgePodNetwork, DEFAULT_BRIDGE_NAME } from './network/bridge-pod-network.js';
import { removeOverlay, VXLAN_OVERHEAD, type UnderlayLink } from './network/vxlan-overlay.js';
import type { OverlayController } from './overlay-controller.js';
import { createOverlayController, overlayUnderlay } from './pod-overlay.js';
import { NodeServices } from './node-services.js';
import { resetNode } from './node-reset.js';
import { NodeSession } from './node-session.js';
import { containerHealth } from './probes/index.js';
import { PodConfig } from './pod-config.js';
import { unmountPodVolumes } from './volumes/pod-volumes.js';
import { PodEtcFiles } from './runtime/pod-etc-files.js';
import { Reconciler } from './reconciler.js';
import type { AgentConfig } from './agent-config.js';
import { ProcessRuntime } from './runtime/process-runtime.js';
import { RuncRuntime } from './runtime/runc-runtime.js';
import type { Runtime } from './runtime/runtime.js';
import { HostCommands } from './services/nft-applier.js';
import { DEFAULT_TABLE_NAME } from './services/nft-ruleset.js';
import type { ServiceCatalog } from './services/service-catalog.js';
import { DEFAULT_SERVICE_CIDR, removeProxyTable } from './services/service-proxy.js';

export { AGENT_VERSION } from './node-object.js';

export type { AgentConfig } from './agent-config.js';

export class NodeAgent {
  private server?: Server;
  private link?: ControlPlaneLink;
  private renewer?: CertificateRenewer;
  private identity?: RotatingCertificateProvider;
  private session?: NodeSession;
  private assignments?: Assignments;
  private reconciler?: Reconciler;
  private imageGc?: ImageGarbageCollector;
  private events?: ApiEventSink;
  private overlay?: OverlayController;
  private nodeServices?: NodeServices;
  private evictions?: EvictionManager;
  private sampler?: ResourceSampler;
  private http?: RunningAgentHttpServer;
  private podConfig?: PodConfig;
  private nodeCredentials?: NodeCredentials;
  /** The Api service (pull secrets, events), for the control plane and credentials it was made with. */
  private api?: { client: ApiClient; server: string; credentials: NodeCredentials };
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<{ node: Node; agentAddress: string }> {
    const runtime = this.createRuntime();
    const host = hostOf(this.config.listen);
    const credentials = await this.credentials(host);
    const identity = new RotatingCertificateProvider(credentials);
    this.identity = identity;
    const link = new ControlPlaneLink({ servers: this.config.servers, credentials });
    this.link = link;
    this.renewer?.start(namesHost(credentials, host) ? undefined : `the certificate does not name ${host}, the host the agent serves on`);
    if (this.config.runtime === 'runc') {
      this.sampler = new ResourceSampler({
        instanceName: this.cgroupInstance,
        pods: () => this.assignments?.desired().values() ?? [],
        ...(this.config.metricsIntervalMs !== undefined ? { intervalMs: this.config.metricsIntervalMs } : {}),
        log: this.log.child({ component: 'metrics' }),
      });
    }
    const served = await startAgentServer(this.config.listen, runtime, identity, this.sampler);
    this.server = served.server;
    const agentAddress = served.address;
    if (this.config.httpListen !== undefined) {
      this.http = await startAgentHttpServer(this.config.httpListen, resourceMetricsRegistry(this.sampler ?? { node: undefined, pods: [] }));
    }
    const underlay = await overlayUnderlay(this.config.overlay ?? 'auto', this.config.runtime, host);
    const resources = nodeResources(this.config.capacity, this.config.systemReserved);
    this.session = new NodeSession({
      client: () => link.client,
      node: nodeObject(this.config, agentAddress, host, underlay, resources),
      log: this.log,
      onCallFailed: (error) => this.callFailed(error),
    });
    const podCgroups = this.config.runtime === 'runc' ? await createPodCgroups(this.cgroupInstance, resources.allocatable, this.log) : undefined;
    if (podCgroups) {
      this.evictions = createEvictions(this.config.eviction, {
        runtime,
        podCgroups,
        resources,
        pods: () => this.assignments?.desired().values() ?? [],
        trigger: () => this.reconciler?.trigger(),
        events: () => this.podEventSink(),
        onCondition: (condition) => void this.session?.setCondition(condition),
        log: this.log,
      });
    }
    if (this.evictions) void this.session.setCondition(this.evictions.condition);
    const node = await this.session.start();
    await this.remember(node, this.session.podNetwork, underlay ? host : undefined);

    const network = this.config.runtime === 'runc' ? this.createNetwork(node, this.session.podNetwork, underlay) : undefined;
    if (network && underlay) {
      const options = { nodeName: this.config.nodeName, nodeIp: host, underlay, masqueradeOutside: this.config.masqueradeOutside ?? false };
      this.overlay = createOverlayController({ ...options, network, client: () => this.apiClient(), log: this.log.child({ component: 'overlay' }) });
    }
    const assignments = new Assignments({ client: () => link.client, nodeName: this.config.nodeName, log: this.log, onChange: () => this.reconciler?.trigger() });
    this.assignments = assignments;
    const nodeImages =
      this.config.runtime === 'runc'
        ? await createNodeImages({
            stateDir: this.config.stateDir,
            insecureRegistries: this.config.insecureRegistries,
            ...(this.config.imageGc ? { thresholds: this.config.imageGc } : {}),
            inUse: () => this.reconciler?.imagesInUse() ?? [...assignments.desired().values()].flatMap((pod) => pod.spec.containers.map((container) => container.image)),
            log: this.log,
          })
        : undefined;
    this.imageGc = nodeImages?.gc;
    link.onReconnect(() => {
      assignments.restart();
      this.overlay?.restart();
    });
    this.events = new ApiEventSink({ nodeName: this.config.nodeName, write: (event) => this.applyEvent(event), log: this.log });
    const services = new NodeServices({
      ...(this.config.clusterDns ? { clusterDns: this.config.clusterDns } : {}),
      ...(this.config.serviceProxy ? { serviceProxy: this.config.serviceProxy } : {}),
      client: () => this.apiClient(),
      log: this.log,
    });
    this.nodeServices = services;
    await services.start(link, network);
    const podConfig = new PodConfig({
      client: () => this.apiClient(),
      stateDir: this.config.stateDir,
      allocatable: resources.allocatable,
      hostIP: host,
      serviceEnv: (pod) => services.environmentOf(pod),
      onChange: () => this.reconciler?.trigger(),
      log: this.log,
    });
    this.podConfig = podConfig;
    const health = containerHealth({ runtime, events: this.events, onChange: () => this.reconciler?.trigger(), log: this.log });
    this.reconciler = new Reconciler({
      probes: health.probes,
      hooks: health.lifecycle,
      preStop: health.lifecycle,
      containerEnv: (pod, container, podIP) => podConfig.containerEnv(pod, container, podIP),
      // Volumes need the runc driver's mount namespaces, as the pod's /etc files do.
      ...(network ? { volumes: podConfig.volumes } : {}),
      events: this.events,
      runtime,
      ...(nodeImages ? { images: nodeImages.images, pullCredentials: (pod: Pod) => pullCredentialsOf(pod, (namespace, name) => this.getSecret(namespace, name)) } : {}),
      ...(network ? { network, podFiles: new PodEtcFiles(join(this.config.stateDir, 'pods'), undefined, () => services.dnsSettings()) } : {}),
      serviceEnv: (pod: Pod) => services.environmentOf(pod),
      pods: assignments,
      hostIP: host,
      reportStatus: (pod, status, options) => this.reportStatus(link.client, pod, status, options?.removeTerminated === true),
      log: this.log,
      restartBackoff: this.config.restartBackoff,
      resyncMs: this.config.resyncMs,
      ...(podCgroups ? { podCgroups } : {}),
      ...(this.evictions ? { evictions: this.evictions } : {}),
    });
    assignments.start();
    this.overlay?.start();
    this.reconciler.start();
    podConfig.start();
    this.imageGc?.start();
    this.evictions?.start();
    this.sampler?.start();
    return { node, agentAddress };
  }

  /** Stops talking to the control plane. Containers keep running: a restarted agent adopts them. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.renewer?.stop();
    this.session?.stop();
    this.assignments?.stop();
    this.imageGc?.stop();
    this.evictions?.stop();
    await this.sampler?.stop();
    await this.http?.close();
    await this.overlay?.stop();
    await this.nodeServices?.stop();
    await this.reconciler?.stop();
    this.podConfig?.stop();
    this.events?.stop();
    this.link?.close();
    this.api?.client.close();
    await new Promise<void>((resolve) => (this.server ? this.server.tryShutdown(() => resolve()) : resolve()));
  }

  /**
   * Removes every container, mount, cgroup and pod network namespace under
   * this agent's state dir (skiff-agent --reset). Run with the agent stopped.
   */
  async reset(): Promise<{ containers: number; pods: number; overlay: boolean }> {
    const { podCIDR, podNetwork, overlayNodeIp } = await this.remembered();
    const network = podCIDR
      ? new BridgePodNetwork({ stateDir: join(this.config.stateDir, 'network'), podCidr: podCIDR, ...(podNetwork ? { clusterCidr: podNetwork } : {}) })
      : undefined;
    const removed = await resetNode(this.createRuntime(), network, overlayNodeIp ? () => removeOverlay(overlayNodeIp, DEFAULT_BRIDGE_NAME) : undefined);
    if (this.config.runtime === 'runc') {
      const route = network ? { serviceCidr: this.config.serviceProxy?.serviceCidr ?? DEFAULT_SERVICE_CIDR, device: network.bridgeName } : undefined;
      await removeProxyTable(new HostCommands(), this.config.serviceProxy?.table ?? DEFAULT_TABLE_NAME, route);
    }
    if (this.config.runtime === 'runc') await unmountPodVolumes(join(this.config.stateDir, 'pods'));
    if (this.config.runtime === 'runc') await podCgroupManager(this.cgroupInstance, { memoryBytes: 0, cpuMillis: 0 }, this.log).removeAll();
    await removeNodeCredentials(this.config.stateDir);
    return removed;
  }

  /** The node's credentials (joined now if need be), and their renewer. */
  private async credentials(host: string): Promise<NodeCredentials> {
    const token = this.config.token;
    const common = { nodeName: this.config.nodeName, servers: this.config.servers, addresses: [host], log: this.log, signal: this.stopping.signal };
    const credentials = await enrollNode({ ...common, stateDir: this.config.stateDir, ...(token !== undefined ? { token } : {}) });
    this.nodeCredentials = credentials;
    this.renewer = new CertificateRenewer({
      stateDir: this.config.stateDir,
      nodeName: this.config.nodeName,
      addresses: [host],
      credentials,
      client: () => this.requireLink().client,
      onRenewed: (renewed) => {
        this.nodeCredentials = renewed;
        this.identity?.update(renewed);
        this.link?.useCredentials(renewed);
      },
      ...(token !== undefined ? { rejoin: () => joinCluster({ ...common, token }) } : {}),
      log: this.log,
      ...(this.config.clock ? { clock: this.config.clock } : {}),
    });
    return credentials;
  }

  private requireLink(): ControlPlaneLink {
    if (!this.link) throw new Error('the agent has no channel to the control plane yet');
    return this.link;
  }

  /** A session call failed: an expired certificate is renewed, an unreachable control plane failed over. */
  private callFailed(error: unknown): void {
    const code = grpcCodeOf(error);
    if (code === status.UNAUTHENTICATED) this.renewer?.refused(error);
    else if (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED) this.link?.failover(error);
  }

  /** The pod CIDR (and the overlay's address) outlive the process: --reset needs them to find this node's network state. */
  private async remember(node: Node, podNetwork: string, overlayNodeIp: string | undefined): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true });
    const saved = { name: node.metadata.name, podCIDR: node.spec.podCIDR, podNetwork, ...(overlayNodeIp ? { overlayNodeIp } : {}) };
    await writeFile(join(this.config.stateDir, 'node.json'), JSON.stringify(saved));
  }

  private async remembered(): Promise<{ podCIDR?: string; podNetwork?: string; overlayNodeIp?: string }> {
    try {
      return JSON.parse(await readFile(join(this.config.stateDir, 'node.json'), 'utf8')) as { podCIDR?: string; podNetwork?: string; overlayNodeIp?: string };
    } catch {
      return {};
    }
  }

  private createRuntime(): Runtime {
    const stateDir = join(this.config.stateDir, 'containers');
    return this.config.runtime === 'runc'
      ? new RuncRuntime({
          stateDir,
          instanceName: this.cgroupInstance,
          ...(this.config.containerLogs ? { logMaxBytes: this.config.containerLogs.maxBytes, logMaxFiles: this.config.containerLogs.maxFiles } : {}),
        })
      : new ProcessRuntime({ stateDir });
  }

  /** The Services and EndpointSlices the node sees (the service proxy and the DNS read it). */
  get services(): ServiceCatalog | undefined {
    return this.nodeServices?.view;
  }

  /** A Secret through the control plane's Api service, as this node (the node authorizer allows those its pods reference). */
  private async getSecret(namespace: string, name: string): Promise<Secret> {
    const client = this.apiClient();
    const response = await unary<{ object_json: string }>((cb, options) => client.Get({ ref: { kind: 'Secret', namespace, name } }, options, cb));
    return JSON.parse(response.object_json) as Secret;
  }

  /** Creates or updates an Event through the Api, as this node (the node authorizer allows those about itself and its pods). */
  private async applyEvent(event: Event): Promise<void> {
    const client = this.apiClient();
    await unary((cb, options) => client.Apply({ manifest_json: JSON.stringify(event), strict: false, dry_run: false }, options, cb));
  }

  /** The Api client for the control plane the link uses now, with the node's current credentials. */
  private apiClient(): ApiClient {
    const link = this.requireLink();
    const credentials = this.nodeCredentials;
    if (!credentials) throw new Error('the agent has no credentials yet');
    if (this.api?.server !== link.server || this.api.credentials !== credentials) {
      this.api?.client.close();
      this.api = { client: createApiClient(link.server, {}, channelCredentials(credentials)), server: link.server, credentials };
    }
    return this.api.client;
  }

  /** The image store, and its garbage collector watching the disk it is on. */
  private createNetwork(node: Node, clusterCidr: string, underlay: UnderlayLink | undefined): BridgePodNetwork {
    const podCidr = node.spec.podCIDR;
    if (!podCidr) throw new Error(`the control plane gave node ${node.metadata.name} no pod CIDR`);
    return new BridgePodNetwork({
      stateDir: join(this.config.stateDir, 'network'),
      podCidr,
      ...(clusterCidr ? { clusterCidr } : {}),
      // With the overlay: the tunnel's MTU everywhere, and the host forwards to (and with masquerade, beyond) other nodes.
      ...(underlay ? { mtu: underlay.mtu - VXLAN_OVERHEAD, forwarding: this.config.masqueradeOutside ? 'all' : 'cluster' } : {}),
      // Without it, the service proxy still needs the host to route pod → ClusterIP (DNAT'd) back onto the bridge.
      ...(!underlay && clusterCidr && (this.config.serviceProxy?.enabled ?? true) ? { forwarding: 'bridge' as const } : {}),
    });
  }

  /** Where the agent's /metrics and /healthz are served (--http-listen), once started. */
  get httpAddress(): string | undefined {
    return this.http?.address;
  }

  /** /skiff/<this> holds the agent's cgroups. */
  private get cgroupInstance(): string {
    return this.config.cgroupInstance ?? this.config.nodeName;
  }

  /** Where pod events go (the Evicted events of the eviction manager). */
  private podEventSink(): PodEventSink {
    return this.config.podEvents ?? this.events ?? DISCARD_POD_EVENTS;
  }

  private async reportStatus(client: NodeApiClient, pod: Pod, status: PodStatus, removeTerminated: boolean): Promise<void> {
    await unary((cb, options) =>
      client.UpdatePodStatus(
        {
          node_name: this.config.nodeName,
          namespace: pod.metadata.namespace ?? 'default',
          name: pod.metadata.name,
          uid: pod.metadata.uid ?? '',
          status_json: JSON.stringify(status),
          remove_terminated: removeTerminated,
        },
        options,
        cb,
      ),
    );
  }
}

/** Whether the node certificate names `host` (the control plane dials the agent there). */
function namesHost(credentials: NodeCredentials, host: string): boolean {
  return certificateNamesHost(credentials.certPem, host);
}
