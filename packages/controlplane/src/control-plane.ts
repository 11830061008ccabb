// Wires the control plane together: data dir (PKI, keys) → store → objects →
// informers and loops → the request guard → gRPC and HTTP servers. main.ts
// only parses flags and handles signals.
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  apiServiceDefinition,
  nodeApiServiceDefinition,
  openApiV3,
  RotatingCertificateProvider,
  type Node,
  type NodeApiHandlers,
} from '@skiff/api';
import type { Logger } from 'pino';
import { Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { ApiService } from './api/api-service.js';
import { hostPathAdmission } from './api/host-path-admission.js';
import { DEFAULT_SERVICE_NETWORK, ServiceAllocator, type ServiceNetworkConfig } from './api/service-allocations.js';
import { TokenRequests } from './api/token-requests.js';
import {
  ensureAdminKubeconfig,
  ensureBootstrapRbac,
  ensureFirstJoinToken,
  loadClusterIdentity,
  TOKEN_FILE,
  type ClusterIdentity,
} from './cluster-bootstrap.js';
import { createRequestGuard, credentialInformers } from './cluster-security.js';
import { AuditLog, type AuditLogOptions } from './audit/audit-log.js';
import { JoinTokens } from './nodes/join-tokens.js';
import { NodeCredentials } from './nodes/node-credentials.js';
import { EtcdMember, etcdStoreTls, type EtcdMemberConfig } from './etcd-member/index.js';
import { EncryptedSecretCodec } from './objects/encrypted-secret-codec.js';
import { SECRETS_KEY_FILE } from './objects/secret-encryption-keys.js';
import { ensureControlPlaneClientCertificate, ensureServingCertificate, renewalDelay } from './pki/index.js';
import { InformerFactory, LEADER_ELECTION_KEY, LeaderElection, NodeLiveness } from './cache/index.js';
import { createGrpcHandlers } from './grpc/api-handlers.js';
import { createApiMetrics } from './grpc/api-metrics.js';
import { createRestMetrics } from './rest/rest-metrics.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/grpc-server.js';
import { AgentProxy } from './grpc/agent-proxy.js';
import { createNodeHandlers } from './grpc/node-api-handlers.js';
import { leaderOnly } from './grpc/leader-only.js';
import { OpenStreams } from './grpc/watch-stream.js';
import { startHttpServer, type RunningHttpServer } from './http/http-server.js';
import { listenAddresses, splitHostPort } from './listen-addresses.js';
import { cachedStore, waitForStore } from './store-startup.js';
import { startRestServer, type RunningRestServer } from './rest/rest-server.js';
import { kindColumns } from './rest/tables.js';
import { NodeRegistrar, type NodeTimings } from './nodes/node-registrar.js';
import { PodCidrAllocator, type PodNetworkConfig } from './nodes/pod-cidr-allocator.js';
import { ResourceMetricsApi } from './api/resource-metrics-api.js';
import { ResourceMetricsScraper, ResourceMetricsStore } from './metrics/index.js';
import { LeaderLoops } from './leader-loops.js';
import { ObjectStore } from './objects/object-store.js';
import type { Strategy } from './scheduler/index.js';
import { EtcdCare, type EtcdCareConfig } from './etcd-care.js';
import { EtcdStore, type Store } from './store/index.js';

/** setTimeout's largest delay (about 24.8 days); a longer wait is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  /** host:port of the Kubernetes REST API (kubectl; --rest-listen); port 0 picks a free one; absent: not served. */
  readonly restAddress?: string;
  readonly shutdownGraceMs: number;
  readonly nodeTimings: NodeTimings;
  /** Bin-pack (best fit, the default) or spread (least allocated). */
  readonly schedulingStrategy: Strategy;
  readonly podNetwork: PodNetworkConfig;
  /** --service-cluster-ip-range and --service-node-port-range (default 10.96.0.0/16 and 30000-32767). */
  readonly serviceNetwork?: ServiceNetworkConfig;
  /** How long a node stays NotReady before its pods are evicted. */
  readonly podEvictionTimeoutMs: number;
  /** Where the CA, keys, the first join token and the admin kubeconfig live (0700). */
  readonly dataDir: string;
  /** Hosts clients reach this control plane at (beyond the listen addresses): SANs, and the admin kubeconfig's server. */
  readonly advertiseAddresses: readonly string[];
  /** More SANs for the serving certificate (names or IPs, e.g. a load balancer's). */
  readonly tlsSans: readonly string[];
  /** Lifetime of node certificates (agents renew at 2/3 of it). */
  readonly nodeCertTtlMs: number;
  /** One JSON line per mutating request; off when absent. */
  readonly audit?: AuditLogOptions;
  /** Namespaces whose pods may use hostPath volumes (--allow-host-path-namespaces); none by default. */
  readonly allowHostPathNamespaces?: readonly string[];
  /** How often the agents' resource metrics are scraped (--metric-resolution); default 5 s. */
  readonly metricsResolutionMs?: number;
  /** How often each HorizontalPodAutoscaler is evaluated (--horizontal-pod-autoscaler-sync-period); default 15 s. */
  readonly hpaSyncPeriodMs?: number;
  /** The Job controller's first back-off after a pod failure (default 10 s). */
  readonly jobBackoffBaseMs?: number;
  /** How often the store's history is compacted, keeping one interval (--etcd-compaction-interval); default 5 min, 0 turns it off. */
  readonly compactionIntervalMs?: number;
  /** Defragmentation, quota warnings and alarms (etcd-care.ts; --etcd-maintenance-interval, --etcd-defrag-*, --etcd-quota-backend-bytes). */
  readonly etcdCare?: EtcdCareConfig;
  /** How often REST watches with allowWatchBookmarks=true get a BOOKMARK (--watch-bookmark-interval; default 1 min). */
  readonly watchBookmarkIntervalMs?: number;
  /** Events the watch cache keeps (--watch-cache-size, default 10,000); 0 serves every read from etcd. */
  readonly watchCacheSize?: number;
  /** Concurrent single writes share etcd transactions (--group-commit, default on). */
  readonly groupCommit?: boolean;
  /** HA mode: the local etcd member this control plane starts (or joins), supervises and stops (--etcd-member…). */
  readonly etcdMember?: EtcdMemberConfig;
  /**
   * Leader election among control planes sharing etcd (--leader-elect, on by
   * default): only the leader runs the controllers, the scheduler, the node
   * judge and the compactor. Off: this instance runs them unconditionally (one control plane only).
   */
  readonly leaderElection?: LeaderElectionConfig;
}

export interface LeaderElectionConfig {
  readonly enabled: boolean;
  /** --leader-lease-duration: a dead leader is replaced within about this long (default 1 s). */
  readonly leaseDurationMs: number;
  /** --leader-renew-deadline: a leader unable to renew for this long steps down (default 70 % of the lease). */
  readonly renewDeadlineMs?: number;
  /** This instance's name in the election (default host name and gRPC address). */
  readonly id?: string;
}

export const DEFAULT_LEADER_LEASE_MS = 1000;

export class ControlPlane {
  private store?: Store;
  private grpc?: RunningGrpcServer;
  private http?: RunningHttpServer;
  private rest?: RunningRestServer;
  private agents?: AgentProxy;
  private readonly streams = new OpenStreams();
  private informers?: InformerFactory;
  private leaderLoops?: LeaderLoops;
  private election?: LeaderElection;
  private audit?: AuditLog;
  private renewal?: NodeJS.Timeout;
  private metricsScraper?: ResourceMetricsScraper;
  private etcdCare?: EtcdCare;
  private etcdMember?: EtcdMember;
  /** The latest PodMetrics and NodeMetrics scraped from the agents (in memory; the metrics API and the HPA read it). */
  readonly metrics = new ResourceMetricsStore();

  constructor(
    private readonly config: ControlPlaneConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<{ grpcAddress: string; grpcAddresses: readonly string[]; httpAddress: string; restAddress?: string; adminKubeconfig: string; tokenFile: string }> {
    // Checked before anything starts, so a typo fails fast with the flag's value.
    const grpcAddresses = listenAddresses(this.config.grpcAddress);
    const { dataDir } = this.config;
    const sans = this.servingSans([...grpcAddresses, ...(this.config.restAddress !== undefined ? [this.config.restAddress] : [])]);
    const identity = await loadClusterIdentity(dataDir, sans);
    const secrets = await EncryptedSecretCodec.open(join(dataDir, SECRETS_KEY_FILE));
    this.audit = this.config.audit ? await AuditLog.open(this.config.audit) : AuditLog.disabled();
    if (this.config.etcdMember) {
      this.etcdMember = await EtcdMember.start({ config: this.config.etcdMember, controlPlaneDataDir: dataDir, ca: identity.ca, log: this.log });
    }
    const tls = await etcdStoreTls(dataDir, identity.ca, this.config.etcdEndpoints);
    const store = cachedStore(new EtcdStore({ endpoints: [...this.config.etcdEndpoints], ...(tls ? { tls } : {}) }), this.config, this.log);
    this.store = store;
    const objects = new ObjectStore(store, { secrets });
    const api = new ApiService(
      objects,
      undefined,
      new ServiceAllocator(store, objects, this.config.serviceNetwork ?? DEFAULT_SERVICE_NETWORK),
      hostPathAdmission(new Set(this.config.allowHostPathNamespaces ?? [])),
    );
    const tokens = new JoinTokens(objects);
    await waitForStore(this.log, async () => {
      await api.ensureBuiltinNamespaces();
      await ensureBootstrapRbac(objects);
    });
    await ensureFirstJoinToken(dataDir, tokens, identity.ca.hash);

    // The process's one informer factory: the API side's readers on every instance, the leader's loops through a scope.
    const informers = new InformerFactory({ objects, log: this.log });
    this.informers = informers;
    // Node liveness lives in memory on the leader, which runs the node judge: heartbeats write nothing to etcd.
    const liveness = new NodeLiveness(this.config.nodeTimings);
    const election = this.config.leaderElection ?? { enabled: true, leaseDurationMs: DEFAULT_LEADER_LEASE_MS };
    // Alarms are every instance's readiness; defragmentation and the quota warnings run on the leader only.
    this.etcdCare = new EtcdCare({ endpoints: [...this.config.etcdEndpoints], ...(tls ? { tls } : {}) }, objects, this.log.child({ component: 'etcd-maintainer' }), this.config.etcdCare);
    this.leaderLoops = new LeaderLoops({
      store,
      informers,
      services: [this.etcdCare],
      objectOptions: { secrets },
      ...(election.enabled ? { electionKey: LEADER_ELECTION_KEY } : {}),
      liveness,
      podMetrics: this.metrics,
      schedulingStrategy: this.config.schedulingStrategy,
      leaseDurationMs: this.config.nodeTimings.leaseDurationMs,
      podEvictionTimeoutMs: this.config.podEvictionTimeoutMs,
      ...(this.config.hpaSyncPeriodMs !== undefined ? { hpaSyncPeriodMs: this.config.hpaSyncPeriodMs } : {}),
      ...(this.config.jobBackoffBaseMs === undefined ? {} : { jobBackoffBaseMs: this.config.jobBackoffBaseMs }),
      ...(this.config.compactionIntervalMs === undefined ? {} : { compactionIntervalMs: this.config.compactionIntervalMs }),
      log: this.log,
    });
    const credentials = new NodeCredentials({
      objects,
      tokens,
      ca: identity.ca,
      ...credentialInformers(informers),
      certificateTtlMs: this.config.nodeCertTtlMs,
    });
    const { guard, serviceAccounts, authenticator, authorizer } = createRequestGuard({
      informers,
      credentials,
      serviceAccountKeyPem: identity.serviceAccountKey.privateKeyPem,
      audit: this.audit,
    });
    informers.start();

    const metricsRegistry = new MetricsRegistry();
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'skiff_controlplane_' });
    const metrics = createApiMetrics(metricsRegistry);
    const nodes = new NodeRegistrar(objects, new PodCidrAllocator(store, this.config.podNetwork), this.config.nodeTimings, undefined, {
      liveness,
      nodes: informers.informerFor<Node>('Node'),
    });
    this.agents = new AgentProxy(objects, metrics, this.log, this.streams, guard, { caPem: identity.ca.certPem, ...identity.agentClient });
    const agents = this.agents;
    const nodeInformer = informers.informerFor<Node>('Node');
    this.metricsScraper = new ResourceMetricsScraper({
      store: this.metrics,
      nodes: () => nodeInformer.list() as Node[],
      agentOf: (node) => agents.agentForNode(node),
      ...(this.config.metricsResolutionMs !== undefined ? { resolutionMs: this.config.metricsResolutionMs } : {}),
      log: this.log.child({ component: 'metrics-scraper' }),
    });
    this.metricsScraper.start();
    const context = { metrics, log: this.log, objects, streams: this.streams, guard };
    const tokenRequests = new TokenRequests(objects, serviceAccounts);
    const serving = new RotatingCertificateProvider({ caPem: identity.ca.certPem, certPem: identity.serving.chainPem, keyPem: identity.serving.keyPem });
    this.grpc = await startGrpcServer(
      grpcAddresses,
      [
        { definition: apiServiceDefinition(), handlers: createGrpcHandlers({ ...context, api, nodes, agents: this.agents, tokens: tokenRequests, resourceMetrics: new ResourceMetricsApi(this.metrics) }) },
        {
          definition: nodeApiServiceDefinition(),
          handlers: this.leaderOnlyHeartbeats(createNodeHandlers({ ...context, nodes, credentials, podNetwork: this.config.podNetwork.clusterCidr })),
        },
      ],
      // Client certificates optional at the TLS layer (an agent's Join has none); the guard requires them.
      serving.serverCredentials({ requireClientCertificate: false }),
    );
    this.scheduleServingRenewal(serving, identity, sans);
    if (this.config.restAddress !== undefined) {
      const [restHost, restPort] = splitHostPort(this.config.restAddress);
      const restLog = this.log.child({ component: 'rest' });
      const audit = this.audit;
      this.rest = await startRestServer({
        host: restHost,
        port: restPort,
        certificates: serving,
        authenticator,
        authorizer,
        api,
        objects,
        log: restLog,
        columnsOf: kindColumns,
        openApi: openApiV3(),
        agentOf: (pod, purpose) => agents.agentOf(pod, purpose),
        audit: (entry) => audit.record(entry),
        metrics: createRestMetrics(metricsRegistry),
        ...(this.config.watchBookmarkIntervalMs === undefined ? {} : { watchBookmarkIntervalMs: this.config.watchBookmarkIntervalMs }),
      });
    }
    const [httpHost, httpPort] = splitHostPort(this.config.httpAddress);
    this.http = await startHttpServer(httpHost, httpPort, {
      metrics: metricsRegistry,
      readyChecks: [
        { name: 'etcd', check: () => store.ping(1000) },
        this.etcdCare.readyCheck,
        { name: 'leadership', check: async () => this.leadershipDetail() },
      ],
    });
    const restServer = this.rest ? `https://${this.announcedAddress(this.rest.address)}` : undefined;
    const adminKubeconfig = await ensureAdminKubeconfig(dataDir, identity.ca, `https://${this.announcedAddress(this.grpc.address)}`, restServer);
    this.startLeaderElection(store, election);
    return {
      grpcAddress: this.grpc.address,
      grpcAddresses: this.grpc.addresses,
      httpAddress: this.http.address,
      ...(this.rest ? { restAddress: this.rest.address } : {}),
      adminKubeconfig,
      tokenFile: join(dataDir, TOKEN_FILE),
    };
  }

  /**
   * Campaigns once the API serves (the election key carries our address). The
   * leader loops start on acquiring and stop on losing; a single control plane simply wins.
   */
  private startLeaderElection(store: Store, config: LeaderElectionConfig): void {
    const loops = this.leaderLoops!;
    if (!config.enabled || !this.grpc) {
      loops.start(0).catch((error: unknown) => this.log.error({ err: error }, 'starting the controllers, scheduler and node judge failed'));
      return;
    }
    const address = this.announcedAddress(this.grpc.address);
    this.election = new LeaderElection({
      store,
      identity: { id: config.id ?? `${hostname()}/${address}`, address },
      leaseDurationMs: config.leaseDurationMs,
      ...(config.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: config.renewDeadlineMs }),
      log: this.log.child({ component: 'leader-election' }),
      onStartedLeading: (term) => loops.start(term),
      onStoppedLeading: (term) => loops.stop(term),
    });
    this.election.start();
  }

  /** What /readyz says about leadership; a standby is ready (it serves the API). */
  private leadershipDetail(): string {
    if (!this.election) return 'leader (leader election off)';
    const state = this.election.state;
    if (state.role === 'leader') return `leader (term ${state.term})`;
    return state.leader ? `standby (leader ${state.leader.id} at ${state.leader.address}, term ${state.leader.term})` : 'standby (no leader elected yet)';
  }

  /** Heartbeats feed the leader's in-memory liveness: a standby sends them on (grpc/leader-only.ts). */
  private leaderOnlyHeartbeats(handlers: NodeApiHandlers): NodeApiHandlers {
    return {
      ...handlers,
      Heartbeat: leaderOnly(handlers.Heartbeat, () => this.election?.state ?? { role: 'leader', term: 0 }, 'heartbeats'),
    };
  }

  /** Every host the serving certificate must name: what we listen on, advertise, and were told. */
  private servingSans(listenAddresses: readonly string[]): string[] {
    const listened = listenAddresses.map((address) => splitHostPort(address)[0]).filter((host) => host !== '0.0.0.0' && host !== '::' && host !== '[::]');
    return [...new Set([...listened, ...this.config.advertiseAddresses, ...this.config.tlsSans])];
  }

  /** The address clients are told to use: the first advertised host with the bound port, or the primary listen address. */
  private announcedAddress(bound: string): string {
    const advertised = this.config.advertiseAddresses[0];
    return advertised === undefined ? bound : `${advertised.includes(':') ? `[${advertised}]` : advertised}:${splitHostPort(bound)[1]}`;
  }

  /** Re-issues the serving and agent-client certificates at 2/3 of their lifetime; new connections get the new ones. */
  private scheduleServingRenewal(serving: RotatingCertificateProvider, identity: ClusterIdentity, sans: readonly string[]): void {
    const now = new Date();
    const wait = Math.min(renewalDelay(identity.serving.certPem, now), renewalDelay(identity.agentClient.certPem, now), MAX_TIMER_MS);
    this.renewal = setTimeout(() => {
      void Promise.all([
        ensureServingCertificate(this.config.dataDir, identity.ca, { sans }),
        ensureControlPlaneClientCertificate(this.config.dataDir, identity.ca),
      ]).then(
        ([renewed, agentClient]) => {
          serving.update({ caPem: identity.ca.certPem, certPem: renewed.chainPem, keyPem: renewed.keyPem });
          this.agents?.updateIdentity({ caPem: identity.ca.certPem, ...agentClient });
          this.log.info('serving and agent-client certificates renewed');
          this.scheduleServingRenewal(serving, { ...identity, serving: renewed, agentClient }, sans);
        },
        (error: unknown) => {
          this.log.error({ err: error }, 'could not renew the serving certificate; retrying in a minute');
          this.renewal = setTimeout(() => this.scheduleServingRenewal(serving, identity, sans), 60_000);
          this.renewal.unref();
        },
      );
    }, wait);
    this.renewal.unref();
  }

  /** Graceful: in-flight requests finish (up to the grace period), then the store closes. */
  async stop(): Promise<void> {
    // Stop taking calls first, then end the watches, which never finish on
    // their own (clients resume from their last revision elsewhere or later);
    // in-flight unary requests complete within the grace period.
    const stopping = this.grpc?.stop(this.config.shutdownGraceMs);
    const restStopping = this.rest?.stop(this.config.shutdownGraceMs);
    this.streams.endAll('the control plane is shutting down; reconnect');
    await stopping;
    await restStopping;
    await this.metricsScraper?.stop();
    await this.etcdCare?.close();
    this.agents?.close();
    await this.http?.close();
    // Hands leadership over at once (the lease is revoked), after the leader loops stopped.
    await this.election?.stop();
    await this.leaderLoops?.stop();
    await this.informers?.stop();
    clearTimeout(this.renewal);
    await this.audit?.close();
    await this.store?.close();
    await this.etcdMember?.stop();
  }
}
