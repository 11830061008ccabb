// A Service's cluster IP and node ports, allocated as Kubernetes does but
// safe across several control planes: every allocation is one key
// (/skiff/ipallocations/<ip>, /skiff/nodeportallocations/<port>) created in
// the same etcd transaction as the Service write, with "must not exist" as
// its compare. Two creates that pick the same IP cannot both commit: the
// loser's whole transaction fails, and the apply loop retries with a fresh
// pick. Deleting a Service (or changing its type) deletes its keys in the
// same transaction as the Service write.
import {
  containsCidr,
  containsIp,
  formatIpv4,
  InvalidError,
  isIpv4Address,
  kindInfo,
  lastAddress,
  parseCidr,
  parseIpv4,
  usesNodePorts,
  type Ipv4Cidr,
  type Service,
  type ServicePort,
} from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import type { KeyValue, Store, WriteOp } from '../store/store.js';

export const IP_ALLOCATIONS = '/skiff/ipallocations/';
export const NODE_PORT_ALLOCATIONS = '/skiff/nodeportallocations/';

export interface ServiceNetworkConfig {
  /** --service-cluster-ip-range, e.g. 10.96.0.0/16. */
  readonly clusterIpRange: string;
  /** --service-node-port-range, e.g. 30000-32767. */
  readonly nodePortRange: string;
}

export const DEFAULT_SERVICE_NETWORK: ServiceNetworkConfig = { clusterIpRange: '10.96.0.0/16', nodePortRange: '30000-32767' };

export interface AllocationPlan {
  /** The Service with its clusterIP(s) and node ports filled in. */
  readonly service: Service;
  /** Store ops to commit in the same transaction as the Service write. */
  readonly ops: WriteOp[];
}

interface PortRange {
  readonly first: number;
  readonly last: number;
  readonly text: string;
}

const SERVICE = kindInfo('Service');

export class ServiceAllocator {
  readonly cidr: Ipv4Cidr;
  readonly ports: PortRange;

  constructor(
    private readonly store: Store,
    private readonly objects: ObjectStore,
    config: ServiceNetworkConfig = DEFAULT_SERVICE_NETWORK,
    private readonly random: () => number = Math.random,
  ) {
    ({ cidr: this.cidr, ports: this.ports } = parseServiceNetwork(config));
  }

  /** Allocations for a new Service (or for a stored one, when `existing` is given). Throws InvalidError with field paths. */
  async plan(service: Service, existing?: Service): Promise<AllocationPlan> {
    const next: Service = structuredClone(service);
    const ops: WriteOp[] = [];
    const errors: string[] = [];
    await this.planClusterIP(next, existing, ops, errors);
    await this.planNodePorts(next, existing, ops, errors);
    if (errors.length > 0) {
      throw new InvalidError(`Service "${service.metadata.name}" is invalid:\n  ${errors.join('\n  ')}`, errors);
    }
    return { service: next, ops };
  }

  /** Ops that free what a stored Service holds; commit them with its delete. */
  async releaseOps(service: Service): Promise<WriteOp[]> {
    const keys = [...ownedIpKeys(service), ...ownedPortKeys(service)];
    return this.deletesOfOwned(keys, ownerOf(service));
  }

  private async planClusterIP(next: Service, existing: Service | undefined, ops: WriteOp[], errors: string[]): Promise<void> {
    const spec = next.spec;
    const before = existing && existing.spec.type !== 'ExternalName' ? existing.spec.clusterIP : undefined;
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      if (existing) ops.push(...(await this.deletesOfOwned(ownedIpKeys(existing), ownerOf(existing))));
      return;
    }
    if (before !== undefined && before !== '') {
      // Immutable (apply-plan.ts refused a change); an apply without the field keeps it.
      spec.clusterIP = before;
      spec.clusterIPs = [before];
      return;
    }
    const requested = spec.clusterIP;
    if (requested === 'None') {
      spec.clusterIPs = ['None'];
      return;
    }
    if (requested !== undefined && requested !== '') {
      const problem = this.ipProblem(requested);
      if (problem) {
        errors.push(`spec.clusterIP: Invalid value: ${JSON.stringify(requested)}: ${problem}`);
        return;
      }
      const op = await this.claim(ipKey(requested), ownerOf(next), (owner) => owner.spec.clusterIP === requested);
      if (!op) errors.push(`spec.clusterIP: Invalid value: ${JSON.stringify(requested)}: provided IP is already allocated`);
      else ops.push(op);
      spec.clusterIPs = [requested];
      return;
    }
    const taken = await this.keysUnder(IP_ALLOCATIONS);
    const size = lastAddress(this.cidr) - this.cidr.network - 1; // neither the network nor the broadcast address
    const offset = this.pickFree(size, (i) => taken.has(formatIpv4(this.cidr.network + 1 + i)));
    if (offset === undefined) {
      errors.push(`spec.clusterIP: Internal error: no IP left in the service network ${this.cidr.text}; use a larger --service-cluster-ip-range`);
      return;
    }
    const ip = formatIpv4(this.cidr.network + 1 + offset);
    ops.push({ op: 'create', key: ipKey(ip), value: ownerOf(next) });
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  private async planNodePorts(next: Service, existing: Service | undefined, ops: WriteOp[], errors: string[]): Promise<void> {
    const owner = ownerOf(next);
    const held = new Set(existing && usesNodePorts(existing.spec.type) ? existing.spec.ports.flatMap((p) => (p.nodePort ? [p.nodePort] : [])) : []);
    const keep = new Set<number>();
    if (usesNodePorts(next.spec.type)) {
      let taken: Set<string> | undefined;
      const claimedHere = new Set<number>();
      for (const [i, port] of next.spec.ports.entries()) {
        const requested = port.nodePort;
        if (requested !== undefined) {
          if (held.has(requested) || claimedHere.has(requested)) {
            keep.add(requested);
            continue;
          }
          if (requested < this.ports.first || requested > this.ports.last) {
            errors.push(`spec.ports[${i}].nodePort: Invalid value: ${requested}: provided port is not in the valid range. The range of valid ports is ${this.ports.text}`);
            continue;
          }
          const op = await this.claim(portKey(requested), owner, (svc) => usesNodePorts(svc.spec.type) && svc.spec.ports.some((p) => p.nodePort === requested));
          if (!op) errors.push(`spec.ports[${i}].nodePort: Invalid value: ${requested}: provided port is already allocated`);
          else ops.push(op);
          claimedHere.add(requested);
          continue;
        }
        const reused = sameNumberBefore(existing, port);
        if (reused !== undefined && held.has(reused)) {
          port.nodePort = reused;
          keep.add(reused);
          continue;
        }
        taken ??= await this.keysUnder(NODE_PORT_ALLOCATIONS);
        const size = this.ports.last - this.ports.first + 1;
        const offset = this.pickFree(size, (n) => taken!.has(String(this.ports.first + n)) || claimedHere.has(this.ports.first + n) || held.has(this.ports.first + n));
        if (offset === undefined) {
          errors.push(`spec.ports[${i}].nodePort: Internal error: no node port left in ${this.ports.text}; use a larger --service-node-port-range`);
          continue;
        }
        port.nodePort = this.ports.first + offset;
        claimedHere.add(port.nodePort);
        ops.push({ op: 'create', key: portKey(port.nodePort), value: owner });
      }
      for (const port of claimedHere) keep.add(port);
    } else {
      for (const port of next.spec.ports) delete port.nodePort;
    }
    const released = [...held].filter((port) => !keep.has(port)).map(portKey);
    if (existing) ops.push(...(await this.deletesOfOwned(released, ownerOf(existing))));
  }

  private ipProblem(text: string): string | undefined {
    if (!isIpv4Address(text)) return 'must be an IPv4 address';
    const ip = parseIpv4(text);
    if (!containsIp(this.cidr, ip) || ip === this.cidr.network || ip === lastAddress(this.cidr)) {
      return `provided IP is not in the valid range. The range of valid IPs is ${this.cidr.text}`;
    }
    return undefined;
  }

  /**
   * An op that claims `key` for `owner`: a create when free; an update (CAS)
   * when the record is stale — its Service is gone or no longer holds it (a
   * Service deleted by a path that does not release, e.g. an old version);
   * undefined when someone else holds it.
   */
  private async claim(key: string, owner: string, holds: (service: Service) => boolean): Promise<WriteOp | undefined> {
    const current = await this.store.get(key);
    if (!current) return { op: 'create', key, value: owner };
    const [namespace, name] = splitOwner(current.value);
    const holder = await this.objects.get<Service>(SERVICE, namespace, name);
    if (holder && holds(holder)) return undefined;
    return { op: 'update', key, value: owner, expectedRevision: current.modRevision };
  }

  private async deletesOfOwned(keys: readonly string[], owner: string): Promise<WriteOp[]> {
    const ops: WriteOp[] = [];
    for (const key of keys) {
      const current: KeyValue | undefined = await this.store.get(key);
      if (current && current.value === owner) ops.push({ op: 'delete', key, expectedRevision: current.modRevision });
    }
    return ops;
  }

  private async keysUnder(prefix: string): Promise<Set<string>> {
    const { items } = await this.store.list(prefix);
    return new Set(items.map((kv) => kv.key.slice(prefix.length)));
  }

  /** A random free slot in [0, size), probing forward from a random start, so control planes rarely pick alike. */
  private pickFree(size: number, taken: (offset: number) => boolean): number | undefined {
    const start = Math.floor(this.random() * size);
    for (let step = 0; step < size; step++) {
      const offset = (start + step) % size;
      if (!taken(offset)) return offset;
    }
    return undefined;
  }
}

/** Checks both flags (and, given the pod network, that the two do not overlap); throws InvalidError naming the flag. */
export function parseServiceNetwork(config: ServiceNetworkConfig, podNetwork?: string): { cidr: Ipv4Cidr; ports: PortRange } {
  let cidr: Ipv4Cidr;
  try {
    cidr = parseCidr(config.clusterIpRange, '--service-cluster-ip-range');
  } catch (error) {
    throw new InvalidError((error as Error).message);
  }
  if (cidr.prefix > 30) throw new InvalidError(`--service-cluster-ip-range ${cidr.text} is too small (at most /30)`);
  if (podNetwork !== undefined) {
    const pods = parseCidr(podNetwork, '--pod-network');
    if (containsCidr(pods, cidr) || containsCidr(cidr, pods)) {
      throw new InvalidError(`--service-cluster-ip-range ${cidr.text} overlaps --pod-network ${pods.text}; they must be disjoint`);
    }
  }
  return { cidr, ports: parsePortRange(config.nodePortRange) };
}

export function parsePortRange(text: string): PortRange {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1 || last > 65535 || first > last) {
    throw new InvalidError(`--service-node-port-range "${text}" must be FIRST-LAST with 1 <= FIRST <= LAST <= 65535, e.g. 30000-32767`);
  }
  return { first, last, text: `${first}-${last}` };
}

function ipKey(ip: string): string {
  return `${IP_ALLOCATIONS}${ip}`;
}

function portKey(port: number): string {
  return `${NODE_PORT_ALLOCATIONS}${port}`;
}

function ownerOf(service: Service): string {
  return `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`;
}

function splitOwner(value: string): [string, string] {
  const slash = value.indexOf('/');
  return [value.slice(0, slash), value.slice(slash + 1)];
}

function ownedIpKeys(service: Service): string[] {
  const ip = service.spec.clusterIP;
  return service.spec.type !== 'ExternalName' && ip !== undefined && isIpv4Address(ip) ? [ipKey(ip)] : [];
}

function ownedPortKeys(service: Service): string[] {
  if (!usesNodePorts(service.spec.type)) return [];
  return [...new Set(service.spec.ports.flatMap((p) => (p.nodePort ? [p.nodePort] : [])))].map(portKey);
}

/** The node port the stored Service had for the same port number and protocol. */
function sameNumberBefore(existing: Service | undefined, port: ServicePort): number | undefined {
  if (!existing || !usesNodePorts(existing.spec.type)) return undefined;
  return existing.spec.ports.find((p) => p.port === port.port && p.protocol === port.protocol)?.nodePort;
}
