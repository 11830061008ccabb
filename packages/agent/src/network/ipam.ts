// Pod IP address management backed by plain files: one file per allocated
// address in the state directory, named after the address and holding the
// owner pod. Files survive an agent restart (so pods keep their IPs), and
// claiming an address is a single atomic filesystem operation, so concurrent
// attaches never hand out the same address twice and need no lock file.

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { containsIp, formatIpv4, lastAddress, messageOf, parseIpv4, type Ipv4Cidr } from '@skiff/api/core';

export interface IpAllocation {
  readonly ip: string;
  readonly podUid: string;
  /** Name of the pod's network namespace (a file in /var/run/netns). */
  readonly netnsName: string;
}

export interface FileIpamOptions {
  /** Directory holding the allocation files; created if missing. */
  readonly dir: string;
  /** Addresses are handed out from this range, minus its first and last address. */
  readonly cidr: Ipv4Cidr;
  /** Further addresses never handed out (the gateway). */
  readonly reserved: readonly string[];
}

/** On-disk form; `version` lets a later agent recognise (and migrate) files written by this one. */
interface StoredAllocation {
  readonly version: 1;
  readonly podUid: string;
  readonly netnsName: string;
  readonly allocatedAt: string;
}

/** The subdirectory for records being written (see publish). */
const PARTIAL_DIR = '.partial';
const IP_FILE_NAME = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/;

export class IpamExhaustedError extends Error {
  override readonly name = 'IpamExhaustedError';
}

export class FileIpam {
  readonly dir: string;
  private readonly cidr: Ipv4Cidr;
  private readonly reserved: ReadonlySet<number>;
  /** What list() last read, and the directory mtime it is valid for. */
  private cache: { mtime: bigint; addresses: number[]; byIp: Map<string, IpAllocation> } | undefined;

  constructor(options: FileIpamOptions) {
    this.dir = options.dir;
    this.cidr = options.cidr;
    this.reserved = new Set(options.reserved.map(parseIpv4));
  }

  /** Number of addresses this range can hand out at most. */
  get capacity(): number {
    const first = this.firstCandidate();
    const last = this.lastCandidate();
    const reservedInRange = [...this.reserved].filter((ip) => ip >= first && ip <= last).length;
    return Math.max(0, last - first + 1 - reservedInRange);
  }

  /**
   * Every readable allocation in range, ordered by address. Every attach lists,
   * and reading one file per pod each time made starting 50 pods quadratic: the
   * list is kept in memory, valid while the directory's mtime is the one it was
   * read at and while it holds the same addresses (this instance's own changes
   * update the list and the mtime; another writer's change moves the mtime or
   * the set of names, and the list is read again). The directory is one
   * agent's: the checks are for a second instance, e.g. in tests.
   */
  async list(): Promise<IpAllocation[]> {
    const mtime = await this.dirMtime();
    const addresses = await this.allocatedAddresses();
    const cache = this.cache;
    if (mtime !== undefined && cache?.mtime === mtime && sameAddresses(cache.addresses, addresses)) {
      return addresses.flatMap((ip) => cache.byIp.get(formatIpv4(ip)) ?? []);
    }
    const byIp = new Map<string, IpAllocation>();
    for (const ip of addresses) {
      const allocation = await this.read(formatIpv4(ip));
      if (allocation !== undefined) byIp.set(allocation.ip, allocation);
    }
    this.cache = mtime === undefined ? undefined : { mtime, addresses, byIp };
    return [...byIp.values()];
  }

  /** The allocation of one address, or undefined if it is free (or its file is unreadable). */
  async read(ip: string): Promise<IpAllocation | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, ip), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw new Error(`cannot read IP allocation ${join(this.dir, ip)}: ${messageOf(error)}`, { cause: error });
    }
    const stored = parseStored(text);
    // A file that is not ours (hand-edited, truncated by a full disk) still blocks its address
    // (allocate() goes by file names), but names no pod: better unused than handed out twice.
    return stored === undefined ? undefined : { ip, podUid: stored.podUid, netnsName: stored.netnsName };
  }

  async findByPod(podUid: string): Promise<IpAllocation | undefined> {
    return (await this.list()).find((allocation) => allocation.podUid === podUid);
  }

  /**
   * Claims the lowest free address for the pod. Lowest-free (rather than
   * round-robin) keeps allocations compact and predictable; a reused address is
   * harmless to neighbours' ARP caches because pod MAC addresses are derived
   * from the IP (see podMacAddress in pod-network-names.ts).
   */
  async allocate(podUid: string, netnsName: string): Promise<IpAllocation> {
    await mkdir(this.dir, { recursive: true });
    const taken = new Set(await this.allocatedAddresses());
    for (let ip = this.firstCandidate(); ip <= this.lastCandidate(); ip += 1) {
      if (this.reserved.has(ip) || taken.has(ip)) continue;
      const text = formatIpv4(ip);
      if (await this.publish(text, { podUid, netnsName }, 'exclusive')) {
        await this.remember(text, { ip: text, podUid, netnsName });
        await this.syncDir();
        return { ip: text, podUid, netnsName };
      }
      // Lost a race for this address to a concurrent allocate(): try the next one.
    }
    throw new IpamExhaustedError(
      `no free pod IP left in ${this.cidr.text}: all ${this.capacity} addresses are allocated ` +
        `(one file per address in ${this.dir}); delete pods, or give this node a larger podCidr`,
    );
  }

  /** Rewrites an allocation that this pod already holds (e.g. to record a different namespace name). */
  async update(allocation: IpAllocation): Promise<void> {
    const current = await this.read(allocation.ip);
    if (current?.podUid !== allocation.podUid) {
      throw new Error(
        `IP ${allocation.ip} is not allocated to pod ${allocation.podUid} ` +
          `(file ${join(this.dir, allocation.ip)} names ${current?.podUid ?? 'no pod'})`,
      );
    }
    await this.publish(allocation.ip, allocation, 'replace');
    await this.remember(allocation.ip, { ip: allocation.ip, podUid: allocation.podUid, netnsName: allocation.netnsName });
    await this.syncDir();
  }

  /** Frees the address if (and only if) this pod holds it; true when a file was removed. */
  async release(ip: string, podUid: string): Promise<boolean> {
    const current = await this.read(ip);
    if (current?.podUid !== podUid) return false;
    try {
      await unlink(join(this.dir, ip));
      await this.remember(ip, undefined);
      return true;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw new Error(`cannot release IP ${ip} (file ${join(this.dir, ip)}): ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  private firstCandidate(): number {
    // Skip the network address; for /31 and /32 there is nothing to skip but the caller forbids them.
    return this.cidr.network + 1;
  }

  private lastCandidate(): number {
    // Skip the broadcast address.
    return lastAddress(this.cidr) - 1;
  }

  /** Addresses whose file exists (readable or not), in range only, ascending. */
  private async allocatedAddresses(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw new Error(`cannot list IP allocations in ${this.dir}: ${messageOf(error)}`, { cause: error });
    }
    const addresses: number[] = [];
    for (const name of names) {
      if (!IP_FILE_NAME.test(name)) continue;
      let ip: number;
      try {
        ip = parseIpv4(name);
      } catch {
        continue;
      }
      // Files for another range (the node's podCidr changed) are ignored, not deleted: an operator may want them back.
      if (formatIpv4(ip) === name && containsIp(this.cidr, ip)) addresses.push(ip);
    }
    return addresses.sort((a, b) => a - b);
  }

  /**
   * Writes the record to a private temporary file first, so the address file
   * never exists half-written. 'exclusive' then publishes it with link(2), which
   * (like open with O_CREAT|O_EXCL) fails with EEXIST if the address file already
   * exists: that is the atomic claim. 'replace' renames over the existing file.
   * Returns false only when an exclusive claim lost to an existing file.
   */
  private async publish(
    ip: string,
    record: { readonly podUid: string; readonly netnsName: string },
    mode: 'exclusive' | 'replace',
  ): Promise<boolean> {
    const stored: StoredAllocation = {
      version: 1,
      podUid: record.podUid,
      netnsName: record.netnsName,
      allocatedAt: new Date().toISOString(),
    };
    const target = join(this.dir, ip);
    // Temporaries live in a subdirectory: made and removed in the directory itself, each moved its
    // mtime while other attaches were between their steps, and list() read every file again.
    const partial = join(this.dir, PARTIAL_DIR);
    const temporary = join(partial, `${ip}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const handle = await open(temporary, 'wx', 0o644).catch(async (error: unknown) => {
      if (!isErrno(error, 'ENOENT')) throw error;
      await mkdir(partial, { recursive: true });
      return await open(temporary, 'wx', 0o644);
    });
    try {
      await handle.writeFile(`${JSON.stringify(stored)}\n`, 'utf8');
      // The file must be on disk before its name is: after a crash an allocation is either complete or absent.
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      if (mode === 'exclusive') {
        await link(temporary, target);
      } else {
        await rename(temporary, target);
      }
    } catch (error) {
      if (mode === 'exclusive' && isErrno(error, 'EEXIST')) return false;
      throw new Error(`cannot write IP allocation ${target}: ${messageOf(error)}`, { cause: error });
    } finally {
      if (mode === 'exclusive') await unlink(temporary).catch(() => undefined);
    }
    // The caller updates the cached list, then makes the name durable (syncDir).
    return true;
  }

  /** Applies this instance's own change to the cached list, valid for the directory as it is now. */
  private async remember(ip: string, allocation: IpAllocation | undefined): Promise<void> {
    const cache = this.cache;
    if (cache === undefined) return;
    const address = parseIpv4(ip);
    cache.addresses = cache.addresses.filter((a) => a !== address);
    if (allocation === undefined) {
      cache.byIp.delete(ip);
    } else {
      cache.byIp.set(ip, allocation);
      cache.addresses.push(address);
      cache.addresses.sort((a, b) => a - b);
    }
    const mtime = await this.dirMtime();
    if (mtime === undefined || this.cache !== cache) this.cache = undefined;
    else cache.mtime = mtime;
  }

  private async dirMtime(): Promise<bigint | undefined> {
    try {
      return (await stat(this.dir, { bigint: true })).mtimeNs;
    } catch {
      return undefined;
    }
  }

  /** Makes a new or removed directory entry durable; best effort (some filesystems refuse fsync on directories). */
  private async syncDir(): Promise<void> {
    try {
      const handle = await open(this.dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // Durability of the name is a nicety; the allocation itself already succeeded.
    }
  }
}

function parseStored(text: string): StoredAllocation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record['version'] !== 1) return undefined;
  const { podUid, netnsName, allocatedAt } = record;
  if (typeof podUid !== 'string' || podUid === '' || typeof netnsName !== 'string' || netnsName === '') {
    return undefined;
  }
  return { version: 1, podUid, netnsName, allocatedAt: typeof allocatedAt === 'string' ? allocatedAt : '' };
}

function sameAddresses(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((address, i) => address === b[i]);
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
