// The cluster domain's records, indexed by name and kept current from the
// ServiceCatalog's change notifications: a change to one Service rebuilds that
// Service's names only (its A, SRV, CNAME and endpoint records), a re-list
// rebuilds everything. Queries are then one map lookup, never a scan.
//
// The names follow Kubernetes' DNS-based service discovery specification
// (what CoreDNS's kubernetes plugin serves):
//   <svc>.<ns>.svc.<zone>               A: the ClusterIP; headless: one per published endpoint
//                                       CNAME: type ExternalName
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>   SRV per named port (target the service, or each
//                                       endpoint of a headless service)
//   <hostname>.<svc>.<ns>.svc.<zone>    A of a headless service's endpoint (its hostname, which
//                                       the EndpointSlice controller takes from the pod's
//                                       hostname when its subdomain names the service; else
//                                       the dashed address, 10-244-1-5)
import { isIPv4 } from 'node:net';
import type { Answer, SrvAnswer } from 'dns-packet';
import type { EndpointSlice, Service } from '@skiff/api/core';
import { serviceKey, type ServiceCatalogView, type ServiceKey } from '../services/service-catalog.js';
import { ancestorsWithin, canonicalName, dashedAddress, isWireName } from './dns-names.js';

/** CoreDNS's kubernetes plugin answers with a TTL of 5 s by default. */
export const DEFAULT_RECORD_TTL = 5;

/** The records at one name, by type (A, CNAME, SRV). */
export type RecordSets = ReadonlyMap<string, readonly Answer[]>;

export type NameLookup =
  | { readonly kind: 'records'; readonly sets: RecordSets }
  /** The name has no records but names below it do (e.g. <ns>.svc.<zone>): NODATA, not NXDOMAIN. */
  | { readonly kind: 'empty' };

export class ClusterRecords {
  readonly zone: string;
  private readonly ttl: number;
  private readonly names = new Map<string, { owner: ServiceKey; sets: Map<string, Answer[]> }>();
  private readonly owned = new Map<ServiceKey, string[]>();
  /** Empty non-terminals: how many owned names each sits above. */
  private readonly interior = new Map<string, number>();
  /** Goes up with every change; answers remembered for an older generation are stale. */
  generation = 0;
  /** The SOA serial: the second of the last change. */
  serial = Math.floor(Date.now() / 1000);

  constructor(zone: string, options: { ttl?: number } = {}) {
    this.zone = canonicalName(zone);
    this.ttl = options.ttl ?? DEFAULT_RECORD_TTL;
  }

  /** What the zone holds at `name` (canonical), or undefined when nothing does (NXDOMAIN). */
  lookup(name: string): NameLookup | undefined {
    const node = this.names.get(name);
    if (node) return { kind: 'records', sets: node.sets };
    return this.interior.has(name) ? { kind: 'empty' } : undefined;
  }

  /** How many names the zone holds records at (for tests and logs). */
  get size(): number {
    return this.names.size;
  }

  /** Re-reads the given Services from the view (gone ones lose their names). */
  update(view: ServiceCatalogView, keys: Iterable<ServiceKey>): void {
    for (const key of keys) {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      this.remove(key);
      const service = view.service(namespace, name);
      if (service) this.add(key, service, view.endpointSlices(namespace, name));
    }
    this.changed();
  }

  /** Forgets everything and reads every Service of the view. */
  rebuild(view: ServiceCatalogView): void {
    this.names.clear();
    this.owned.clear();
    this.interior.clear();
    for (const service of view.services()) {
      const namespace = service.metadata.namespace ?? 'default';
      this.add(serviceKey(namespace, service.metadata.name), service, view.endpointSlices(namespace, service.metadata.name));
    }
    this.changed();
  }

  private changed(): void {
    this.generation += 1;
    this.serial = Math.max(this.serial, Math.floor(Date.now() / 1000));
  }

  private remove(key: ServiceKey): void {
    const names = this.owned.get(key);
    if (!names) return;
    this.owned.delete(key);
    for (const name of names) {
      if (this.names.get(name)?.owner === key) this.names.delete(name);
      for (const above of ancestorsWithin(name, this.zone)) {
        const count = (this.interior.get(above) ?? 1) - 1;
        if (count <= 0) this.interior.delete(above);
        else this.interior.set(above, count);
      }
    }
  }

  private add(key: ServiceKey, service: Service, slices: readonly EndpointSlice[]): void {
    const built = new Map<string, Map<string, Answer[]>>();
    const put = (record: Answer): void => {
      // A name the wire format cannot carry (an over-long ExternalName or hostname) is left out, never sent malformed.
      const target = record.type === 'CNAME' ? record.data : record.type === 'SRV' ? record.data.target : '';
      if (!isWireName(record.name) || !isWireName(target)) return;
      let sets = built.get(record.name);
      if (!sets) built.set(record.name, (sets = new Map()));
      const list = sets.get(record.type) ?? [];
      list.push(record);
      sets.set(record.type, list);
    };
    const namespace = service.metadata.namespace ?? 'default';
    const serviceName = canonicalName(`${service.metadata.name}.${namespace}.svc.${this.zone}`);
    const ttl = this.ttl;
    const spec = service.spec;
    if (spec.type === 'ExternalName') {
      if (spec.externalName) put({ name: serviceName, type: 'CNAME', ttl, data: canonicalName(spec.externalName) });
    } else if (spec.clusterIP === 'None') {
      this.addHeadless(serviceName, service, slices, put);
    } else {
      if (spec.clusterIP && isIPv4(spec.clusterIP)) put({ name: serviceName, type: 'A', ttl, data: spec.clusterIP });
      for (const port of spec.ports ?? []) {
        if (!port.name) continue;
        put({ name: srvName(port.name, port.protocol, serviceName), type: 'SRV', ttl, data: { priority: 0, weight: 100, port: port.port, target: serviceName } });
      }
    }
    // The Service's own name exists even with nothing to answer (headless without ready
    // endpoints, a ClusterIP not allocated yet): NODATA rather than NXDOMAIN.
    if (!built.has(serviceName)) built.set(serviceName, new Map());
    spreadSrvWeights(built);
    const names = [...built.keys()];
    for (const [name, sets] of built) this.names.set(name, { owner: key, sets });
    for (const name of names) {
      for (const above of ancestorsWithin(name, this.zone)) this.interior.set(above, (this.interior.get(above) ?? 0) + 1);
    }
    this.owned.set(key, names);
  }

  private addHeadless(serviceName: string, service: Service, slices: readonly EndpointSlice[], put: (record: Answer) => void): void {
    const ttl = this.ttl;
    const publishAll = service.spec.publishNotReadyAddresses === true;
    const seen = new Set<string>();
    for (const slice of slices) {
      if (slice.addressType !== 'IPv4') continue;
      for (const endpoint of slice.endpoints ?? []) {
        // An unknown readiness counts as ready (discovery.k8s.io/v1's own rule).
        if (!publishAll && endpoint.conditions?.ready === false) continue;
        const address = endpoint.addresses.find((a) => isIPv4(a));
        if (address === undefined) continue;
        const host = canonicalName(`${endpoint.hostname ?? dashedAddress(address)}.${serviceName}`);
        if (!seen.has(address)) {
          seen.add(address);
          put({ name: serviceName, type: 'A', ttl, data: address });
        }
        if (!seen.has(`${host} ${address}`)) {
          seen.add(`${host} ${address}`);
          put({ name: host, type: 'A', ttl, data: address });
        }
        for (const port of slice.ports ?? []) {
          if (!port.name) continue;
          const name = srvName(port.name, port.protocol, serviceName);
          if (seen.has(`${name} ${host} ${port.port}`)) continue;
          seen.add(`${name} ${host} ${port.port}`);
          put({ name, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: port.port, target: host } });
        }
      }
    }
  }
}

/** _<port>._<proto>.<service name> */
export function srvName(portName: string, protocol: string, serviceName: string): string {
  return canonicalName(`_${portName}._${protocol}.${serviceName}`);
}

/** As CoreDNS: the SRV records of one name share a weight of 100 (each 100 ÷ n). */
function spreadSrvWeights(built: Map<string, Map<string, Answer[]>>): void {
  for (const sets of built.values()) {
    const srv = sets.get('SRV') as SrvAnswer[] | undefined;
    if (!srv || srv.length < 2) continue;
    const weight = Math.floor(100 / srv.length);
    sets.set('SRV', srv.map((record) => ({ ...record, data: { ...record.data, weight } })));
  }
}

