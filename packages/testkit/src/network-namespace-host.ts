// A second "host" on this machine for partition tests: a network namespace
// joined to the root namespace by one veth pair, which partition() can cut and
// heal() can restore.
//
// Network safety (README, "The real parts in tests, and network safety"): the namespace's 10.x addresses exist
// only on this veth pair. Should the root namespace ever lose its route over
// the veth (partition() removes it on purpose), a packet to such an address
// would follow the default route off the machine. Two high-metric blackhole
// routes make that impossible: one for the host's own subnet (owned by the
// host, so no other test can remove it while the host lives) and one for the
// surrounding /16 (shared by every host in it, removed with the last). The
// connected route over the veth (metric 0) wins while the link is up; when it
// is down, the blackhole catches everything. Both are checked before the
// link is cut, and the route over the veth is checked before the host is
// handed out and after every heal().
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { blackholeArgs, ensureBlackhole, ip, ipIgnoring, removeBlackhole } from './ip-command.js';
import { onAbnormalExit } from './managed-process.js';
import { waitFor } from './wait-for.js';

export interface NamespaceHostOptions {
  /** Short label, part of the namespace name: lowercase letters, digits and dashes. */
  readonly name: string;
  /**
   * An IPv4 subnet inside 10.0.0.0/8 (not the project's pod network
   * 10.244.0.0/16), /16 to /30: the host side gets its first address, the
   * namespace side the second. E.g. 10.250.1.0/30 → 10.250.1.1 and 10.250.1.2.
   */
  readonly subnet: string;
}

export interface NamespaceHost {
  /** `skt-<name>-<random>`, as `ip netns list` shows it. */
  readonly namespace: string;
  /** The veth end in the root namespace, and the one inside the namespace. */
  readonly hostInterface: string;
  readonly namespaceInterface: string;
  /** The root namespace's address on the veth: what processes in the namespace dial to reach this machine. */
  readonly hostAddress: string;
  /** The namespace's address on the veth. */
  readonly namespaceAddress: string;
  readonly partitioned: boolean;
  /** `args` prefixed to run inside the namespace: ['ip', 'netns', 'exec', namespace, ...args]. */
  exec(args: readonly string[]): string[];
  /** Runs `args` inside the namespace and returns what it printed; rejects on a non-zero exit. */
  run(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Throws unless the root namespace routes namespaceAddress over this host's veth. */
  verifyRoute(): Promise<void>;
  /**
   * Cuts the link: the host-side veth goes down. Nothing is closed or reset:
   * packets from the namespace vanish (its veth has no carrier) and packets to
   * it hit the blackhole route, so connections hang as in a real partition
   * (no FIN, no RST) and new ones time out. Idempotent.
   */
  partition(): Promise<void>;
  /** Restores the link (and checks the route over the veth); connections that did not time out carry on. Idempotent. */
  heal(): Promise<void>;
  /**
   * Removes the veth pair, the namespace and this host's blackhole route, and
   * the shared /16 blackhole if no address in it is left in the root
   * namespace. Processes still inside the namespace are not killed (stop them
   * first); they lose the link. Idempotent.
   */
  destroy(): Promise<void>;
}

/** The project's pod network (bridge skiff0): never ours to use. */
const POD_NETWORK = { network: ipv4ToNumber('10.244.0.0'), prefix: 16 };

const execFileAsync = promisify(execFile);

export async function createNamespaceHost(options: NamespaceHostOptions): Promise<NamespaceHost> {
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(options.name)) {
    throw new Error(`namespace host name "${options.name}": use 1-20 lowercase letters, digits and dashes`);
  }
  const plan = planAddresses(options.subnet);
  // One random suffix names the namespace and both veth ends (15 characters at most), so leftovers are easy to match up.
  const id = randomBytes(3).toString('hex');
  const host = new Host({
    namespace: `skt-${options.name}-${id}`,
    hostInterface: `skt-${id}-h`,
    namespaceInterface: `skt-${id}-n`,
    ...plan,
  });
  await host.create();
  return host;
}

interface Plan {
  readonly hostAddress: string;
  readonly namespaceAddress: string;
  readonly prefix: number;
  /** The subnet, normalised: "10.250.1.0/30". */
  readonly subnet: string;
  /** The /16 around it: "10.250.0.0/16". */
  readonly surrounding: string;
}

function planAddresses(subnet: string): Plan {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(subnet);
  const address = match?.[1];
  const prefix = Number(match?.[2]);
  if (address === undefined || !isIpv4(address) || !Number.isInteger(prefix) || prefix < 16 || prefix > 30) {
    throw new Error(`subnet "${subnet}": expected an IPv4 CIDR from /16 to /30, e.g. 10.250.1.0/30`);
  }
  const network = ipv4ToNumber(address);
  if ((network & mask(prefix)) >>> 0 !== network) throw new Error(`subnet "${subnet}": ${address} is not the start of a /${prefix}`);
  if (network >>> 24 !== 10) throw new Error(`subnet "${subnet}" is outside 10.0.0.0/8: only private test addresses are allowed`);
  if ((network & mask(POD_NETWORK.prefix)) >>> 0 === POD_NETWORK.network) {
    throw new Error(`subnet "${subnet}" is inside the project's pod network 10.244.0.0/16; use e.g. 10.250.0.0/16`);
  }
  return {
    hostAddress: numberToIpv4(network + 1),
    namespaceAddress: numberToIpv4(network + 2),
    prefix,
    subnet: `${address}/${prefix}`,
    surrounding: `${numberToIpv4((network & mask(16)) >>> 0)}/16`,
  };
}

interface HostConfig extends Plan {
  readonly namespace: string;
  readonly hostInterface: string;
  readonly namespaceInterface: string;
}

class Host implements NamespaceHost {
  private cut = false;
  private destroying?: Promise<void>;
  private cancelExitCleanup?: () => void;

  constructor(private readonly config: HostConfig) {}

  get namespace(): string {
    return this.config.namespace;
  }
  get hostInterface(): string {
    return this.config.hostInterface;
  }
  get namespaceInterface(): string {
    return this.config.namespaceInterface;
  }
  get hostAddress(): string {
    return this.config.hostAddress;
  }
  get namespaceAddress(): string {
    return this.config.namespaceAddress;
  }
  get partitioned(): boolean {
    return this.cut;
  }

  async create(): Promise<void> {
    const c = this.config;
    // Two tests on one subnet would share addresses and cut each other's links.
    const inUse = (await ip(['-4', '-o', 'addr', 'show', 'to', c.subnet])).trim();
    if (inUse !== '') throw new Error(`subnet ${c.subnet} is already in use in the root namespace:\n${inUse}`);
    // Registered before anything exists, so a test process that dies half-way through leaves nothing behind.
    this.cancelExitCleanup = onAbnormalExit(() => this.removeAllSync());
    try {
      // Safety nets first: from here on, nothing addressed to the subnet can take the default route.
      await ensureBlackhole(c.surrounding);
      await ensureBlackhole(c.subnet);
      await ip(['netns', 'add', c.namespace]);
      await ip(['link', 'add', c.hostInterface, 'type', 'veth', 'peer', 'name', c.namespaceInterface, 'netns', c.namespace]);
      await ip(['addr', 'add', `${c.hostAddress}/${c.prefix}`, 'dev', c.hostInterface]);
      await ip(['link', 'set', c.hostInterface, 'up']);
      await ip(['-n', c.namespace, 'addr', 'add', `${c.namespaceAddress}/${c.prefix}`, 'dev', c.namespaceInterface]);
      await ip(['-n', c.namespace, 'link', 'set', c.namespaceInterface, 'up']);
      await ip(['-n', c.namespace, 'link', 'set', 'lo', 'up']);
      await this.waitForRoute();
    } catch (error) {
      await this.destroy().catch(() => undefined);
      throw error;
    }
  }

  exec(args: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.config.namespace, ...args];
  }

  async run(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
    const [command, ...rest] = this.exec(args);
    return execFileAsync(command ?? 'ip', rest, { encoding: 'utf8', timeout: 60_000 });
  }

  async verifyRoute(): Promise<void> {
    const c = this.config;
    // Both directions: the root namespace reaches the namespace over the host
    // end, and the namespace reaches the host over its own end (it has no other route).
    const out = await ip(['route', 'get', c.namespaceAddress]);
    if (!new RegExp(`\\bdev ${escapeRegExp(c.hostInterface)}\\b`).test(out)) {
      throw new Error(`${c.namespaceAddress} is not routed over ${c.hostInterface}: ${out.trim()}`);
    }
    const inside = await ip(['-n', c.namespace, 'route', 'get', c.hostAddress]);
    if (!new RegExp(`\\bdev ${escapeRegExp(c.namespaceInterface)}\\b`).test(inside)) {
      throw new Error(`inside ${c.namespace}, ${c.hostAddress} is not routed over ${c.namespaceInterface}: ${inside.trim()}`);
    }
  }

  async partition(): Promise<void> {
    if (this.cut) return;
    const c = this.config;
    // Once the link is down, only these routes keep packets for the namespace
    // on this machine: re-create the shared one should it have gone meanwhile,
    // and refuse to cut if either is missing.
    await ensureBlackhole(c.surrounding);
    await ensureBlackhole(c.subnet);
    for (const prefix of [c.surrounding, c.subnet]) {
      if ((await ip(['route', 'show', 'exact', prefix, 'type', 'blackhole'])).trim() === '') {
        throw new Error(`no blackhole route for ${prefix}: refusing to cut the link`);
      }
    }
    await ip(['link', 'set', c.hostInterface, 'down']);
    this.cut = true;
    // The route lookup must now fail (blackhole): a route, whichever, means the safety net is not what catches it.
    const leaked = await ip(['route', 'get', c.namespaceAddress]).catch(() => undefined);
    if (leaked !== undefined) {
      await this.heal();
      throw new Error(`with the link cut, ${c.namespaceAddress} would still be routed (${leaked.trim()}); link restored`);
    }
  }

  async heal(): Promise<void> {
    if (!this.cut) return;
    await ip(['link', 'set', this.config.hostInterface, 'up']);
    await this.waitForRoute();
    this.cut = false;
  }

  destroy(): Promise<void> {
    return (this.destroying ??= (async () => {
      const c = this.config;
      // Deleting one end deletes the pair; the connected routes go with it.
      await ipIgnoring(['link', 'del', c.hostInterface], /Cannot find device/);
      await ipIgnoring(['netns', 'del', c.namespace], /No such file/);
      await removeBlackhole(c.subnet);
      if ((await ip(['-4', '-o', 'addr', 'show', 'to', c.surrounding])).trim() === '') await removeBlackhole(c.surrounding);
      this.cancelExitCleanup?.();
    })());
  }

  /** Connected routes appear as the link comes up; give the kernel a moment rather than race it. */
  private async waitForRoute(): Promise<void> {
    await waitFor(
      async () => {
        await this.verifyRoute();
        return true;
      },
      { timeoutMs: 5000, description: `the route to ${this.config.namespaceAddress} over ${this.config.hostInterface}` },
    );
  }

  /** The exit-hook version of destroy(): synchronous, best effort. */
  private removeAllSync(): void {
    const c = this.config;
    const attempt = (args: string[]): string => {
      try {
        return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
      } catch {
        return '';
      }
    };
    attempt(['link', 'del', c.hostInterface]);
    attempt(['netns', 'del', c.namespace]);
    attempt(blackholeArgs('del', c.subnet));
    if (attempt(['-4', '-o', 'addr', 'show', 'to', c.surrounding]).trim() === '') attempt(blackholeArgs('del', c.surrounding));
  }
}

function isIpv4(text: string): boolean {
  return text.split('.').every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

function ipv4ToNumber(text: string): number {
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
