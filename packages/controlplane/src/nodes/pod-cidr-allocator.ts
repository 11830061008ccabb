// Hands each node its own /24 of the cluster's pod network, once. Allocation
// is a create-if-absent of one key per slice, so two nodes registering at the
// same moment can never get the same slice.
import { AlreadyExistsError, FailedPreconditionError } from '../errors.js';
import type { Store } from '../store/store.js';

const PREFIX = '/skiff/podcidrs/';
/** 10.244.0.0/16 as 10.244.1.0/24 … 10.244.254.0/24 (0 and 255 left out for clarity). */
const SLICES = 254;

export class PodCidrAllocator {
  constructor(private readonly store: Store) {}

  async allocate(nodeName: string): Promise<string> {
    const { items } = await this.store.list(PREFIX);
    const mine = items.find((kv) => kv.value === nodeName);
    if (mine) return keyToCidr(mine.key);
    const taken = new Set(items.map((kv) => kv.key));
    for (let slice = 1; slice <= SLICES; slice++) {
      const key = `${PREFIX}${slice}`;
      if (taken.has(key)) continue;
      try {
        await this.store.create(key, nodeName);
        return keyToCidr(key);
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error; // lost a race for this slice: try the next
      }
    }
    throw new FailedPreconditionError(`no pod network slice left for node "${nodeName}": all ${SLICES} are allocated`);
  }
}

function keyToCidr(key: string): string {
  return `10.244.${key.slice(PREFIX.length)}.0/24`;
}
