// The node's cluster DNS: a DnsServer on the pod bridge's gateway address
// (port 53, UDP and TCP), answering the cluster domain from ClusterRecords,
// which follow the ServiceCatalog's change notifications, and forwarding the
// rest to the host's resolvers through a cache.
import type { DecodedPacket } from 'dns-packet';
import { AnswerMemo } from './answer-memo.js';
import type { ServiceCatalog } from '../services/service-catalog.js';
import { ClusterRecords, DEFAULT_RECORD_TTL } from './cluster-records.js';
import { DnsCache, DEFAULT_CACHE_ENTRIES } from './dns-cache.js';
import { DnsResolver } from './dns-resolver.js';
import { DnsServer, type DnsReply } from './dns-server.js';
import { Forwarder } from './forwarder.js';
import type { Upstream } from './upstream-exchange.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DNS_PORT = 53;
const NOT_SYNCED = -2;

export interface ClusterDnsOptions {
  readonly catalog: ServiceCatalog;
  readonly address: string;
  /** Default 53; 0 picks one (tests). */
  readonly port?: number;
  readonly clusterDomain?: string;
  readonly upstreams: readonly Upstream[];
  readonly ttl?: number;
  readonly cacheEntries?: number;
  readonly upstreamTimeoutMs?: number;
  readonly onError?: (error: unknown) => void;
}

export class ClusterDns {
  readonly records: ClusterRecords;
  readonly forwarder: Forwarder;
  private readonly resolver: DnsResolver;
  private readonly server: DnsServer;
  private unsubscribe?: () => void;

  constructor(private readonly options: ClusterDnsOptions) {
    const ttl = options.ttl ?? DEFAULT_RECORD_TTL;
    this.records = new ClusterRecords(options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, { ttl });
    this.forwarder = new Forwarder({
      upstreams: options.upstreams,
      cache: new DnsCache({ maxEntries: options.cacheEntries ?? DEFAULT_CACHE_ENTRIES }),
      ...(options.upstreamTimeoutMs !== undefined ? { timeoutMs: options.upstreamTimeoutMs } : {}),
    });
    this.resolver = new DnsResolver({ records: this.records, forwarder: this.forwarder, ready: () => options.catalog.synced, ttl, nameserver: options.address });
    this.server = new DnsServer({
      address: options.address,
      port: options.port ?? DNS_PORT,
      handler: (query: DecodedPacket): Promise<DnsReply> => this.resolver.respond(query),
      // Before the first list nothing is remembered (the zone answers SERVFAIL until then).
      memo: new AnswerMemo(() => (options.catalog.synced ? this.records.generation : NOT_SYNCED)),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  get address(): string {
    return this.server.address;
  }

  get port(): number {
    return this.server.port;
  }

  get clusterDomain(): string {
    return this.records.zone;
  }

  async start(): Promise<void> {
    const { catalog } = this.options;
    this.unsubscribe = catalog.subscribe((change) => {
      if (change.resync) this.records.rebuild(catalog);
      else this.records.update(catalog, change.services);
    });
    if (catalog.synced) this.records.rebuild(catalog);
    try {
      await this.server.start();
    } catch (error) {
      this.unsubscribe();
      this.unsubscribe = undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.server.stop();
  }
}
