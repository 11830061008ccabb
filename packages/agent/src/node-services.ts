// The node's part of the Services: the catalog (a list+watch of Services and
// EndpointSlices through the control plane, as this node), the nftables
// service proxy over it and the cluster DNS on the pod bridge's gateway, plus
// what pods get from them (resolv.conf's nameserver, the service environment
// variables). Without the pod network (the process driver) only the catalog runs.
import type { ApiClient, Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { ControlPlaneLink } from './control-plane-link.js';
import { ClusterDns, DEFAULT_CLUSTER_DOMAIN, hostUpstreams, type Upstream } from './dns/index.js';
import type { ClusterDnsSettings } from './dns/pod-resolv-conf.js';
import { serviceEnvironment } from './dns/service-env.js';
import type { BridgePodNetwork } from './network/bridge-pod-network.js';
import { HostCommands } from './services/nft-applier.js';
import type { ServiceCatalog } from './services/service-catalog.js';
import { DEFAULT_SERVICE_CIDR, ServiceProxy } from './services/service-proxy.js';
import { WatchedServiceCatalog } from './services/watched-service-catalog.js';

/**
 * The node's cluster DNS (runc runtime only: it listens on the pod bridge's gateway). `address`
 * overrides the gateway, `upstreams` the host's resolvers; default on, cluster.local.
 */
export interface ClusterDnsConfig {
  readonly enabled: boolean;
  readonly domain?: string;
  readonly address?: string;
  readonly upstreams?: readonly Upstream[];
}

/** The nftables service proxy (runc runtime only: it needs the pod network); default on. */
export interface ServiceProxyConfig {
  readonly enabled: boolean;
  readonly table?: string;
  readonly serviceCidr?: string;
  readonly minSyncMs?: number;
}

export interface NodeServicesOptions {
  readonly clusterDns?: ClusterDnsConfig;
  readonly serviceProxy?: ServiceProxyConfig;
  /** The Api client of the moment, with the node's credentials. */
  readonly client: () => ApiClient;
  readonly log: Logger;
}

export class NodeServices {
  private catalog?: WatchedServiceCatalog;
  private proxy?: ServiceProxy;
  private dns?: ClusterDns;

  constructor(private readonly options: NodeServicesOptions) {}

  /** The Services and EndpointSlices the node sees. */
  get view(): ServiceCatalog | undefined {
    return this.catalog;
  }

  async start(link: ControlPlaneLink, network: BridgePodNetwork | undefined): Promise<void> {
    const log = this.options.log;
    const catalog = new WatchedServiceCatalog({ client: this.options.client, log: log.child({ component: 'service-catalog' }) });
    this.catalog = catalog;
    link.onReconnect(() => catalog.restart());
    const proxy = this.options.serviceProxy ?? { enabled: true };
    if (network && proxy.enabled) {
      this.proxy = new ServiceProxy({
        catalog,
        host: new HostCommands(),
        log: log.child({ component: 'service-proxy' }),
        ...(proxy.table !== undefined ? { table: proxy.table } : {}),
        clusterCidr: network.clusterCidr.text,
        serviceCidr: proxy.serviceCidr ?? DEFAULT_SERVICE_CIDR,
        routeDevice: network.bridgeName,
        prepareHost: () => network.ensureHost(),
        ...(proxy.minSyncMs !== undefined ? { minSyncMs: proxy.minSyncMs } : {}),
      });
      this.proxy.start();
    }
    catalog.start();
    if (network) await this.startDns(catalog, network);
  }

  /**
   * The cluster DNS on the pod bridge's gateway (or --cluster-dns), port 53, over the catalog.
   * A DNS that cannot start (port 53 taken) is logged, and pods keep the host's resolvers.
   */
  private async startDns(catalog: ServiceCatalog, network: BridgePodNetwork): Promise<void> {
    const options = this.options.clusterDns ?? { enabled: true };
    if (!options.enabled) return;
    const log = this.options.log;
    const address = options.address ?? network.gateway;
    try {
      await network.ensureHost(); // the gateway address exists from here on
      const upstreams = options.upstreams ?? (await hostUpstreams('/etc/resolv.conf', address));
      const dns = new ClusterDns({
        catalog,
        address,
        clusterDomain: options.domain ?? DEFAULT_CLUSTER_DOMAIN,
        upstreams,
        onError: (error) => log.warn({ err: error }, 'cluster DNS'),
      });
      await dns.start();
      this.dns = dns;
      log.info({ address: `${address}:${dns.port}`, domain: dns.clusterDomain, upstreams: upstreams.map((u) => `${u.host}:${u.port}`) }, 'cluster DNS running');
    } catch (error) {
      log.error({ err: error, address }, "cluster DNS did not start; pods get the host's resolvers");
    }
  }

  /** What pods' resolv.conf points at, while the node's DNS runs. */
  dnsSettings(): ClusterDnsSettings | undefined {
    const dns = this.dns;
    return dns ? { nameserver: dns.address, clusterDomain: dns.clusterDomain } : undefined;
  }

  /** Kubernetes' service variables, from the Services known when a container starts (kubelet too waits for the first list). */
  environmentOf(pod: Pod): Record<string, string> {
    const catalog = this.catalog;
    if (!catalog || pod.spec.enableServiceLinks === false) return {};
    if (!catalog.synced) throw new Error('services have not been listed yet: cannot build the service environment variables');
    return serviceEnvironment(pod, catalog.services());
  }

  async stop(): Promise<void> {
    await this.dns?.stop();
    this.catalog?.stop();
    await this.proxy?.stop();
  }
}
