// A LAN of "hosts" on this machine: each host is a network namespace whose
// eth0 is a veth into a bridge, and the bridge lives in a namespace of its own
// (README, "The real parts in tests, and network safety"). No LAN address,
// link or route ever exists in the root namespace: veths are created inside
// the bridge's namespace with their peer placed straight into the host's.
//
// Network safety: the root namespace cannot reach the LAN at all, and two
// high-metric blackhole routes make sure that a stray packet from it for a LAN
// address is dropped rather than sent out by the default route: one for this
// LAN's /24 (which also claims the subnet: adding it fails when another LAN on
// this machine has it, so parallel suites get different subnets), and one for
// the surrounding /16, shared, removed with the last LAN. Each host is checked
// before it is handed out: the root namespace has no route to its address, and
// the host reaches the LAN over its eth0.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { formatIpv4, parseCidr, type Ipv4Cidr } from '@skiff/api';
import { blackholeArgs, ensureBlackhole, ip, ipIgnoring, removeBlackhole, ROUTE_PROTOCOL } from './ip-command.js';
import { onAbnormalExit } from './managed-process.js';
import { inNetworkNamespace } from './network-namespace-command.js';
import { waitFor } from './wait-for.js';

/** The /16 LANs take their /24s from: used by nothing else in the project (pods are 10.244/16, namespace hosts 10.250/16). */
export const LAN_NETWORK = '10.77.0.0/16';
/** Every host's interface on the LAN. */
export const LAN_INTERFACE = 'eth0';
const BRIDGE = 'br0';
/** Hosts get .2, .3, …; .1 is left free, as a router's would be. */
const FIRST_HOST = 2;
const LAST_HOST = 254;

export interface LanOptions {
  /** A /24 inside 10.77.0.0/16; default the first one no other LAN on this machine has. */
  readonly subnet?: string;
}

export interface LanHost {
  readonly name: string;
  /** The host's network namespace, as `ip netns list` shows it. */
  readonly netns: string;
  /** Its address on the LAN (on eth0). */
  readonly lanAddress: string;
  /** `command args` to run inside the host's namespace (see network-namespace-command.ts). */
  exec(command: string, args: readonly string[]): { command: string; args: string[] };
}

export interface Lan {
  /** The namespace that holds the bridge. */
  readonly namespace: string;
  /** "10.77.N.0/24". */
  readonly subnet: string;
  readonly hosts: readonly LanHost[];
  /** A new host on the LAN with the next free address; `name`: lowercase letters, digits and dashes. */
  addHost(name: string): Promise<LanHost>;
  /**
   * Removes every host's namespace, the bridge's, and the blackhole routes
   * (the /16 one only when no other LAN is left). Stop the processes inside
   * first: they would keep their namespaces alive, cut off. Idempotent.
   */
  destroy(): Promise<void>;
}

export async function createLan(options: LanOptions = {}): Promise<Lan> {
  const outside = (await ip(['-4', '-o', 'addr', 'show', 'to', LAN_NETWORK])).trim();
  if (outside !== '') throw new Error(`the root namespace has addresses in ${LAN_NETWORK}, which LANs must be alone in:\n${outside}`);
  await ensureBlackhole(LAN_NETWORK);
  const subnet = await claimSubnet(options.subnet).catch(async (error: unknown) => {
    await removeLanNetworkBlackholeIfUnclaimed();
    throw error;
  });
  const lan = new Network(`skm-${randomBytes(3).toString('hex')}`, subnet);
  await lan.create();
  return lan;
}

/** Adds the /24's blackhole; that it did not exist yet is the claim. */
async function claimSubnet(requested: string | undefined): Promise<Ipv4Cidr> {
  const network = parseCidr(LAN_NETWORK, 'the LAN network');
  const candidates: Ipv4Cidr[] = [];
  if (requested !== undefined) {
    const cidr = parseCidr(requested, 'LAN subnet');
    if (cidr.prefix !== 24 || ((cidr.network & 0xffff0000) >>> 0) !== network.network) {
      throw new Error(`LAN subnet "${requested}" must be a /24 inside ${LAN_NETWORK}, e.g. 10.77.0.0/24`);
    }
    candidates.push(cidr);
  } else {
    for (let third = 0; third < 256; third++) candidates.push(parseCidr(`10.77.${third}.0/24`, 'LAN subnet'));
  }
  for (const cidr of candidates) {
    try {
      await ip(blackholeArgs('add', cidr.text));
      return cidr;
    } catch (error) {
      if (!/File exists/.test((error as Error).message)) throw error;
    }
  }
  throw new Error(
    requested !== undefined
      ? `LAN subnet ${requested} is in use by another LAN on this machine (its blackhole route exists); pick another or let one be chosen`
      : `every /24 of ${LAN_NETWORK} is in use by a LAN on this machine`,
  );
}

class Network implements Lan {
  readonly hosts: LanHost[] = [];
  private destroying?: Promise<void>;
  private readonly cancelExitCleanup: () => void;

  constructor(
    readonly namespace: string,
    private readonly cidr: Ipv4Cidr,
  ) {
    // Registered first, so a test process that dies half-way through leaves nothing behind.
    this.cancelExitCleanup = onAbnormalExit(() => this.removeAllSync());
  }

  get subnet(): string {
    return this.cidr.text;
  }

  async create(): Promise<void> {
    try {
      await ip(['netns', 'add', this.namespace]);
      await ip(['-n', this.namespace, 'link', 'add', BRIDGE, 'type', 'bridge']);
      await ip(['-n', this.namespace, 'link', 'set', BRIDGE, 'up']);
    } catch (error) {
      await this.destroy().catch(() => undefined);
      throw error;
    }
  }

  async addHost(name: string): Promise<LanHost> {
    if (!/^[a-z0-9][a-z0-9-]{0,29}$/.test(name)) throw new Error(`LAN host name "${name}": use 1-30 lowercase letters, digits and dashes`);
    if (this.hosts.some((h) => h.name === name)) throw new Error(`the LAN already has a host named ${name}`);
    if (this.destroying) throw new Error('the LAN is being destroyed');
    const index = this.hosts.length;
    if (FIRST_HOST + index > LAST_HOST) throw new Error(`the LAN ${this.subnet} is full`);
    const host = new Host(name, `${this.namespace}-${name}`, formatIpv4(this.cidr.network + FIRST_HOST + index));
    this.hosts.push(host);
    const port = `port${index}`;
    const inHost = (args: readonly string[]): Promise<string> => ip(['-n', host.netns, ...args]);
    await ip(['netns', 'add', host.netns]);
    // Created in the bridge's namespace, the peer born in the host's: neither end is ever in the root namespace.
    await ip(['-n', this.namespace, 'link', 'add', port, 'type', 'veth', 'peer', 'name', LAN_INTERFACE, 'netns', host.netns]);
    await ip(['-n', this.namespace, 'link', 'set', port, 'master', BRIDGE, 'up']);
    await inHost(['addr', 'add', `${host.lanAddress}/${this.cidr.prefix}`, 'dev', LAN_INTERFACE]);
    await inHost(['link', 'set', LAN_INTERFACE, 'up']);
    await inHost(['link', 'set', 'lo', 'up']);
    await this.verify(host);
    return host;
  }

  /** The root namespace has no route to the host (the blackhole refuses it); the host reaches the LAN over eth0. */
  private async verify(host: Host): Promise<void> {
    const leak = await ip(['route', 'get', host.lanAddress]).catch(() => undefined);
    if (leak !== undefined) throw new Error(`the root namespace routes ${host.lanAddress} (${leak.trim()}): refusing to use this LAN`);
    // .1 is nobody's: the lookup shows the connected route, which is what every LAN address takes.
    const other = formatIpv4(this.cidr.network + 1);
    await waitFor(
      async () => new RegExp(`\\bdev ${LAN_INTERFACE}\\b`).test(await ip(['-n', host.netns, 'route', 'get', other])),
      { timeoutMs: 5000, description: `inside ${host.netns}, a route to ${other} over ${LAN_INTERFACE}` },
    );
  }

  destroy(): Promise<void> {
    return (this.destroying ??= (async () => {
      // A namespace's veth ends go with it, and their peers with them.
      for (const host of this.hosts) await ipIgnoring(['netns', 'del', host.netns], /No such file/);
      await ipIgnoring(['netns', 'del', this.namespace], /No such file/);
      await removeBlackhole(this.cidr.text);
      await removeLanNetworkBlackholeIfUnclaimed();
      this.cancelExitCleanup();
    })());
  }

  /** The exit-hook version of destroy(): synchronous, best effort. */
  private removeAllSync(): void {
    const attempt = (args: string[]): string => {
      try {
        return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
      } catch {
        return '';
      }
    };
    for (const host of this.hosts) attempt(['netns', 'del', host.netns]);
    attempt(['netns', 'del', this.namespace]);
    attempt(blackholeArgs('del', this.cidr.text));
    if (!otherLanClaims(attempt(['-4', 'route', 'show', 'type', 'blackhole', 'proto', ROUTE_PROTOCOL]))) attempt(blackholeArgs('del', LAN_NETWORK));
  }
}

async function removeLanNetworkBlackholeIfUnclaimed(): Promise<void> {
  if (!otherLanClaims(await ip(['-4', 'route', 'show', 'type', 'blackhole', 'proto', ROUTE_PROTOCOL]))) await removeBlackhole(LAN_NETWORK);
}

/** Whether `ip route show type blackhole` output still lists a LAN's /24 claim. */
function otherLanClaims(routes: string): boolean {
  return routes.split('\n').some((line) => /^blackhole 10\.77\.\d+\.0\/24\b/.test(line.trim()));
}

class Host implements LanHost {
  constructor(
    readonly name: string,
    readonly netns: string,
    readonly lanAddress: string,
  ) {}

  exec(command: string, args: readonly string[]): { command: string; args: string[] } {
    return inNetworkNamespace(this.netns, command, args);
  }
}
