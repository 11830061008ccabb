// Hands each node its own slice of the cluster's pod network, once. Allocation
// is a create-if-absent of one key per slice, so two nodes registering at the
// same moment can never get the same slice.
import {
  AlreadyExistsError,
  FailedPreconditionError,
  formatIpv4,
  InvalidError,
  parseCidr,
  type Ipv4Cidr,
} from '@skiff/api';
import type { Store } from '../store/store.js';

const PREFIX = '/skiff/podcidrs/';

export interface PodNetworkConfig {
  /** The whole pod network, e.g. 10.244.0.0/16 (Kubernetes' --cluster-cidr). */
  readonly clusterCidr: string;
  /** Prefix length of each node's slice, e.g. 24 (--node-cidr-mask-size). */
  readonly nodeMaskSize: number;
}

export class PodCidrAllocator {
  private readonly cluster: Ipv4Cidr;
  private readonly slices: number;

  constructor(
    private readonly store: Store,
    private readonly config: PodNetworkConfig,
  ) {
    try {
      this.cluster = parseCidr(config.clusterCidr, '--pod-network');
    } catch (error) {
      throw new InvalidError((error as Error).message);
    }
    if (config.nodeMaskSize < this.cluster.prefix || config.nodeMaskSize > 30) {
      throw new InvalidError(`--node-cidr-mask-size ${config.nodeMaskSize} must be between ${this.cluster.prefix} and 30`);
    }
    this.slices = 2 ** (config.nodeMaskSize - this.cluster.prefix);
  }

  async allocate(nodeName: string): Promise<string> {
    const { items } = await this.store.list(PREFIX);
    const mine = items.find((kv) => kv.value === nodeName && this.isOurs(kv.key));
    if (mine) return this.cidrOf(mine.key);
    const taken = new Set(items.map((kv) => kv.key));
    // Slice 0 (e.g. 10.244.0.0/24) stays unused, as is customary.
    for (let slice = 1; slice < this.slices; slice++) {
      const key = this.keyOf(slice);
      if (taken.has(key)) continue;
      try {
        await this.store.create(key, nodeName);
        return this.cidrOf(key);
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error; // lost a race for this slice: try the next
      }
    }
    throw new FailedPreconditionError(
      `no pod network slice left for node "${nodeName}": all ${this.slices - 1} /${this.config.nodeMaskSize} slices of ${this.cluster.text} are allocated; use a larger --pod-network or --node-cidr-mask-size`,
    );
  }

  private keyOf(slice: number): string {
    const network = this.cluster.network + slice * 2 ** (32 - this.config.nodeMaskSize);
    return `${PREFIX}${formatIpv4(network)}-${this.config.nodeMaskSize}`;
  }

  private cidrOf(key: string): string {
    return key.slice(PREFIX.length).replace('-', '/');
  }

  /** Keys from another configuration (a different network or mask) are not ours to reuse. */
  private isOurs(key: string): boolean {
    const cidr = this.cidrOf(key);
    try {
      const parsed = parseCidr(cidr, 'slice');
      const inside = parsed.network >= this.cluster.network && parsed.network < this.cluster.network + 2 ** (32 - this.cluster.prefix);
      return inside && parsed.prefix === this.config.nodeMaskSize;
    } catch {
      return false;
    }
  }
}
