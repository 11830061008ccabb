// A pod network of its own for each local cluster in this machine's root
// network namespace. Such clusters share the host bridge skiff0, and vitest
// runs two suites at once: with the same 10.244.0.0/16 both would give their
// first node 10.244.1.0/24, and their pods would answer each other's ARP and
// fight over the DNS address on the gateway. Each cluster claims a slot with
// an atomic mkdir (a dead owner's slot is taken back) and gets the /20
// 10.244.<16 × slot>.0/20 (16 nodes of /24).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LEASE_DIR = '/run/skiff-test-pod-networks';
const SLOTS = 15;

export interface PodNetworkLease {
  readonly slot: number;
  /** For the control plane's --pod-network. */
  readonly podNetwork: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function claimPodNetwork(): Promise<PodNetworkLease> {
  await mkdir(LEASE_DIR, { recursive: true });
  for (let slot = 1; slot <= SLOTS; slot += 1) {
    const dir = join(LEASE_DIR, String(slot));
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(join(dir, 'pid'), 'utf8').catch(() => '')).trim());
      // A slot without a pid file may be one being claimed right now: leave it.
      if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
      await rm(dir, { recursive: true, force: true });
      try {
        await mkdir(dir);
      } catch {
        continue;
      }
    }
    await writeFile(join(dir, 'pid'), `${process.pid}\n`);
    return {
      slot,
      podNetwork: `10.244.${16 * slot}.0/20`,
      release: () => rm(dir, { recursive: true, force: true }),
    };
  }
  throw new Error(`all ${SLOTS} test pod networks under ${LEASE_DIR} are taken by live processes`);
}
