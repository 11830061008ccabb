// The per-node service proxy: keeps the node's nftables table (nft-ruleset.ts)
// equal to what the ServiceCatalog says, kube-proxy style.
//   - Changes are coalesced: a sync runs at most once per minSyncMs (like
//     kube-proxy's --min-sync-period), over the Services touched since the last.
//   - The first sync, and the first after any failure, recreates the whole
//     table in one transaction (a full resync); the others rewrite only the
//     chains and map elements of the Service ports that changed, also in one
//     transaction. What is programmed is tracked here, per Service port.
//   - Nothing is programmed before the catalog's first complete list (an empty
//     table would reject nothing but would drop every Service's rules).
//   - After a UDP endpoint is removed, its conntrack entries are deleted, or a
//     client's "connection" would stick to the gone endpoint until it idles out;
//     when a UDP port gets its first endpoint, the entries of its VIP go too.
import { BACKOFF, Backoff, messageOf, type BackoffPolicy } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { HostCommands } from './nft-applier.js';
import { desiredRules, rulesOfServices, sameRules, type ServicePortRules } from './proxy-model.js';
import { DEFAULT_TABLE_NAME, renderChanges, renderFullSync } from './nft-ruleset.js';
import type { ServiceCatalog, ServiceKey } from './service-catalog.js';

export const DEFAULT_MIN_SYNC_MS = 100;
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

export interface ServiceProxyOptions {
  readonly catalog: ServiceCatalog;
  readonly host: HostCommands;
  readonly log: Logger;
  /** nftables table name (family ip); default skiff-proxy. */
  readonly table?: string;
  /** The pod network: VIP traffic from outside it is masqueraded. */
  readonly clusterCidr?: string;
  /** With routeDevice: `ip route replace <serviceCidr> dev <routeDevice>`, so host processes can reach VIPs (DNAT happens after the route lookup). */
  readonly serviceCidr?: string;
  readonly routeDevice?: string;
  /** Runs before every full resync (e.g. make sure the pod bridge exists). */
  readonly prepareHost?: () => Promise<void>;
  readonly minSyncMs?: number;
  readonly retryBackoff?: BackoffPolicy;
  /** Told after every successful sync (tests and the benchmark measure with it). */
  readonly onSynced?: (sync: ProxySync) => void;
  readonly now?: () => number;
}

export interface ProxySync {
  readonly full: boolean;
  /** The Services this sync covered (every one for a full sync). */
  readonly services: ReadonlySet<ServiceKey>;
  /** Service ports whose rules changed. */
  readonly changedPorts: number;
  readonly durationMs: number;
  readonly bytes: number;
}

export class ServiceProxy {
  private readonly table: string;
  private readonly minSyncMs: number;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  /** What the table holds, by Service port key, and the port keys of each Service. */
  private programmed = new Map<string, ServicePortRules>();
  private portsOf = new Map<ServiceKey, Set<string>>();
  private dirty = new Set<ServiceKey>();
  private needFull = true;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastSyncAt = -Infinity;
  private unsubscribe?: () => void;
  private stopped = false;
  private conntrackMissing = false;

  constructor(private readonly options: ServiceProxyOptions) {
    this.table = options.table ?? DEFAULT_TABLE_NAME;
    this.minSyncMs = options.minSyncMs ?? DEFAULT_MIN_SYNC_MS;
    this.backoff = new Backoff(options.retryBackoff ?? BACKOFF.informerRelist);
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.options.catalog.subscribe(({ services, resync }) => {
      // A re-list may have missed deletions: look at every Service we know of on either side.
      if (resync) for (const key of [...this.portsOf.keys(), ...services]) this.dirty.add(key);
      else for (const key of services) this.dirty.add(key);
      this.schedule(0);
    });
    if (this.options.catalog.synced) this.schedule(0);
  }

  /** Stops syncing. The table stays: connections keep flowing while the agent restarts, and the next start resyncs it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Rules currently programmed (a copy), by Service port key. */
  programmedRules(): Map<string, ServicePortRules> {
    return new Map(this.programmed);
  }

  /** The next full resync happens at the next sync (and is scheduled now). */
  requestFullSync(): void {
    this.needFull = true;
    this.schedule(0);
  }

  private schedule(extraDelayMs: number): void {
    if (this.stopped || this.timer !== undefined) return;
    const wait = Math.max(extraDelayMs, this.lastSyncAt + this.minSyncMs - this.now(), 0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) {
        // The running sync reschedules when it ends.
        return;
      }
      this.running = this.sync().finally(() => {
        this.running = undefined;
        if (!this.stopped && (this.needFull || this.dirty.size > 0) && this.timer === undefined) this.schedule(0);
      });
    }, wait);
    this.timer.unref?.();
  }

  private async sync(): Promise<void> {
    if (!this.options.catalog.synced) return;
    this.lastSyncAt = this.now();
    const started = this.now();
    try {
      const result = this.needFull ? await this.fullSync() : await this.partialSync();
      this.backoff.reset();
      if (result) this.options.onSynced?.({ ...result, durationMs: this.now() - started });
    } catch (error) {
      this.needFull = true;
      const waitMs = this.backoff.next();
      this.options.log.warn({ err: messageOf(error), waitMs }, 'service proxy sync failed; a full resync follows');
      this.schedule(waitMs);
    }
  }

  private async fullSync(): Promise<Omit<ProxySync, 'durationMs'>> {
    await this.options.prepareHost?.();
    const { serviceCidr, routeDevice } = this.options;
    if (serviceCidr !== undefined && routeDevice !== undefined) await this.options.host.ip(['route', 'replace', serviceCidr, 'dev', routeDevice]);
    this.dirty.clear();
    const desired = desiredRules(this.options.catalog);
    const text = renderFullSync(this.config(), desired.values());
    await this.options.host.nft(text);
    const previous = this.programmed;
    this.programmed = desired;
    this.portsOf = new Map();
    for (const rule of desired.values()) this.portsOfService(rule.service).add(rule.key);
    this.needFull = false;
    // Only against what this process programmed before: after a restart nothing is known to be stale.
    await this.clearConntrack([...previous.keys()].map((key) => ({ previous: previous.get(key), next: desired.get(key) })));
    const services = new Set([...desired.values()].map((rule) => rule.service));
    this.options.log.info({ table: this.table, servicePorts: desired.size, bytes: text.length }, 'service proxy table programmed (full resync)');
    return { full: true, services, changedPorts: desired.size, bytes: text.length };
  }

  private async partialSync(): Promise<Omit<ProxySync, 'durationMs'> | undefined> {
    if (this.dirty.size === 0) return undefined;
    const services = this.dirty;
    this.dirty = new Set();
    const wanted = rulesOfServices(this.options.catalog, services);
    const changes: { previous: ServicePortRules | undefined; next: ServicePortRules | undefined }[] = [];
    for (const [service, rules] of wanted) {
      const nextByKey = new Map(rules.map((rule) => [rule.key, rule]));
      for (const key of new Set([...(this.portsOf.get(service) ?? []), ...nextByKey.keys()])) {
        const previous = this.programmed.get(key);
        const next = nextByKey.get(key);
        if (!sameRules(previous, next)) changes.push({ previous, next });
      }
    }
    if (changes.length === 0) return { full: false, services, changedPorts: 0, bytes: 0 };
    const text = renderChanges(this.config(), changes);
    try {
      await this.options.host.nft(text);
    } catch (error) {
      for (const key of services) this.dirty.add(key);
      throw error;
    }
    for (const { previous, next } of changes) {
      if (previous) {
        this.programmed.delete(previous.key);
        this.portsOf.get(previous.service)?.delete(previous.key);
      }
      if (next) {
        this.programmed.set(next.key, next);
        this.portsOfService(next.service).add(next.key);
      }
    }
    for (const [service, keys] of this.portsOf) if (keys.size === 0) this.portsOf.delete(service);
    await this.clearConntrack(changes);
    return { full: false, services, changedPorts: changes.length, bytes: text.length };
  }

  private portsOfService(service: ServiceKey): Set<string> {
    let keys = this.portsOf.get(service);
    if (!keys) this.portsOf.set(service, (keys = new Set()));
    return keys;
  }

  private config(): { table: string; clusterCidr?: string } {
    return { table: this.table, ...(this.options.clusterCidr !== undefined ? { clusterCidr: this.options.clusterCidr } : {}) };
  }

  /** UDP flows to endpoints that are gone, and to a VIP that had none (best effort: a failure is logged, not retried). */
  private async clearConntrack(changes: readonly { previous: ServicePortRules | undefined; next: ServicePortRules | undefined }[]): Promise<void> {
    const filters: string[][] = [];
    for (const { previous, next } of changes) {
      if (previous?.protocol !== 'udp' && next?.protocol !== 'udp') continue;
      if (previous && previous.protocol === 'udp') {
        const kept = new Set((next?.protocol === 'udp' && next.clusterIP === previous.clusterIP ? next.endpoints : []).map((e) => `${e.ip}:${e.port}`));
        for (const endpoint of previous.endpoints) {
          if (kept.has(`${endpoint.ip}:${endpoint.port}`)) continue;
          filters.push(['-p', 'udp', '--orig-dst', previous.clusterIP, '--orig-port-dst', String(previous.port), '--reply-src', endpoint.ip]);
          if (previous.nodePort !== undefined) filters.push(['-p', 'udp', '--orig-port-dst', String(previous.nodePort), '--reply-src', endpoint.ip]);
        }
      }
      if (next?.protocol === 'udp' && next.endpoints.length > 0 && (previous === undefined || previous.endpoints.length === 0)) {
        filters.push(['-p', 'udp', '--orig-dst', next.clusterIP, '--orig-port-dst', String(next.port)]);
      }
    }
    if (filters.length === 0 || this.conntrackMissing) return;
    for (const filter of filters) {
      try {
        await this.options.host.conntrackDelete(filter);
      } catch (error) {
        if (/cannot run conntrack/.test(messageOf(error))) {
          this.conntrackMissing = true;
          this.options.log.warn('conntrack is not installed (Debian: apt-get install conntrack): UDP flows to removed endpoints linger until they time out');
          return;
        }
        this.options.log.warn({ err: messageOf(error) }, 'clearing conntrack entries failed');
      }
    }
  }
}

/** Removes the proxy's table and its service route (skiff-agent --reset); what is already gone is fine. */
export async function removeProxyTable(host: HostCommands, table: string = DEFAULT_TABLE_NAME, route?: { serviceCidr: string; device: string }): Promise<void> {
  await host.nftCommand(['delete', 'table', 'ip', table]).catch((error: unknown) => {
    // Gone already, or no nftables on this host (then there never was a table).
    if (!/No such file or directory|does not exist|cannot run nft/i.test(messageOf(error))) throw error;
  });
  if (route) await host.ip(['route', 'del', route.serviceCidr, 'dev', route.device]).catch(() => undefined);
}
