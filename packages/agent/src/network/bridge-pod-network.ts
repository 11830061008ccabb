// Pod networking on one host bridge, without NAT or forwarding: every pod gets
// a network namespace, a veth pair whose host end sits on the bridge, and an IP
// from this node's slice of the cluster CIDR. Pods reach each other at layer 2
// across the bridge and reach the host through the gateway address; nothing
// they send is ever routed off the machine.
//
// Several agents on one machine (a dev cluster) share the bridge, each with its
// own /24 slice and its own gateway address on it; every host-level step is
// therefore idempotent and tolerates another agent doing the same at once.
//
// Safety (see /work/shared/ENVIRONMENT.md): pod addresses must never be reached
// via the default route. Host set-up installs, before any pod address exists:
//   - `blackhole <clusterCidr> metric 4000` in the main table: the bridge's
//     connected /24s are more specific and win while the bridge exists; if it
//     disappears, traffic for pod addresses is dropped here instead of following
//     the default route out of the machine.
//   - `ip rule iif <bridge> priority 1000 unreachable`: whatever arrives from the
//     pods and is not for a local address is refused, even if someone turns on
//     ip_forward globally later. (The local table, priority 0, is consulted
//     first, so pods still reach the host's own addresses.)
//   - net.ipv4.conf.<bridge>.forwarding = 0, the per-device switch, for the same
//     reason as the rule (the global switch is never touched).

import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { containsCidr, formatIpv4, parseCidr, parseIpv4, type Ipv4Cidr } from '@skiff/api';
import { isAlreadyExists, isNotFound, runIp, runIpJson } from './ip-command.js';
import { FileIpam, type IpAllocation } from './ipam.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { PodNetwork, PodNetworkAttachment } from './pod-network.js';

/** Where `ip netns add` puts namespace files (/var/run is /run on Debian). */
export const NETNS_DIR = '/var/run/netns';
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_BRIDGE_NAME = 'skiff0';
/** Metric of the clusterCidr blackhole: high, so any real route for the same prefix wins over it. */
export const BLACKHOLE_METRIC = 4000;
/** Priority of the "nothing from the bridge is forwarded" rule: after `local` (0), before `main` (32766). */
export const BRIDGE_RULE_PRIORITY = 1000;

const NETNS_PREFIX = 'skiff-';
/** How many uid-prefix collisions (skiff-<id>, skiff-<id>-1, …) we try before giving up. */
const MAX_NETNS_CANDIDATES = 64;
/** Linux interface names are at most IFNAMSIZ - 1 = 15 bytes. */
const MAX_IFNAME_LENGTH = 15;

export interface BridgePodNetworkOptions {
  /** Directory for the IPAM files (one per allocated IP); keep it across agent restarts. */
  readonly stateDir: string;
  /** This node's slice, e.g. 10.244.1.0/24; its first address is the gateway on the bridge. */
  readonly podCidr: string;
  /** The whole pod network (all nodes' slices); default 10.244.0.0/16. */
  readonly clusterCidr?: string;
  /** Host bridge shared by all agents on this machine; default skiff0. */
  readonly bridgeName?: string;
}

/** A pod-network failure whose message says what failed and, where possible, how to fix it. */
export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
}

/**
 * Throws unless this process can manage network namespaces. Exported (with an
 * injectable uid) so the agent can choose a runtime up front and tests can
 * check the message without dropping privileges.
 */
export function checkPodNetworkPrivileges(uid: number | undefined = process.getuid?.()): void {
  if (uid === undefined) {
    throw new PodNetworkError('pod networking needs Linux network namespaces; use the process runtime on this platform');
  }
  if (uid !== 0) {
    throw new PodNetworkError(
      `pod networking needs root (this agent runs as uid ${uid}): it creates network namespaces, veth pairs ` +
        'and a bridge; run the agent as root, or use the process runtime (pods then share the host network)',
    );
  }
}

/**
 * First-choice namespace name: "skiff-" + the first 12 characters of the pod
 * uid without dashes. A uid with characters unsafe in a file name (uids are
 * normally UUIDs, but the API does not enforce it) uses a hash instead.
 */
export function netnsBaseName(podUid: string): string {
  const compact = podUid.replaceAll('-', '');
  const id = /^[A-Za-z0-9]+$/.test(compact) ? compact.slice(0, 12) : sha256Hex(podUid).slice(0, 12);
  return `${NETNS_PREFIX}${id}`;
}

/** Candidate `n` for a pod's namespace name: the base name, then base-1, base-2, … after collisions. */
export function netnsCandidateName(podUid: string, attempt: number): string {
  const base = netnsBaseName(podUid);
  return attempt === 0 ? base : `${base}-${attempt}`;
}

/**
 * Host end of a pod's veth pair: "sk" + 13 hex digits of a hash of the
 * namespace name = 15 characters, the kernel's limit. Derived from the
 * namespace name (unique on the machine) so it needs no extra state.
 */
export function hostVethName(netnsName: string): string {
  return `sk${sha256Hex(netnsName).slice(0, MAX_IFNAME_LENGTH - 2)}`;
}

/**
 * Pod-side MAC address, derived from the IP (locally administered 0a:58 + the
 * four address bytes). When an IP is reused by a new pod, stale ARP entries in
 * the host and in other pods still point at the right MAC, so the new pod is
 * reachable at once instead of after the neighbour cache times out.
 */
export function podMacAddress(ip: string): string {
  const value = parseIpv4(ip);
  const bytes = [0x0a, 0x58, value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/**
 * A fixed bridge MAC (0a:59 + hash of the bridge name). Without one the kernel
 * gives the bridge the lowest MAC of its ports, so the gateway's MAC would
 * change as pods come and go and pods' ARP entries for it would go stale.
 */
function bridgeMacAddress(bridgeName: string): string {
  const hash = sha256Hex(bridgeName);
  return ['0a', '59', hash.slice(0, 2), hash.slice(2, 4), hash.slice(4, 6), hash.slice(6, 8)].join(':');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class BridgePodNetwork implements PodNetwork {
  readonly bridgeName: string;
  readonly podCidr: Ipv4Cidr;
  readonly clusterCidr: Ipv4Cidr;
  /** First address of podCidr, held by the bridge; the pods' default route. */
  readonly gateway: string;
  readonly stateDir: string;

  private readonly ipam: FileIpam;
  private readonly locks = new KeyedMutex();
  /** A host set-up in progress, shared by concurrent callers; cleared when it settles. */
  private hostSetUp: Promise<void> | undefined;
  /** Host set-up done by this process (see ensureHostOnce). */
  private hostReady: Promise<void> | undefined;

  constructor(options: BridgePodNetworkOptions) {
    if (options.stateDir === '') throw new PodNetworkError('BridgePodNetwork needs a stateDir for its IPAM files');
    this.stateDir = options.stateDir;
    this.podCidr = parseCidr(options.podCidr, 'podCidr');
    this.clusterCidr = parseCidr(options.clusterCidr ?? DEFAULT_CLUSTER_CIDR, 'clusterCidr');
    if (!containsCidr(this.clusterCidr, this.podCidr)) {
      throw new PodNetworkError(
        `podCidr ${this.podCidr.text} is not inside clusterCidr ${this.clusterCidr.text}; ` +
          "give the node a slice of the cluster's pod network",
      );
    }
    if (this.podCidr.prefix > 30) {
      throw new PodNetworkError(
        `podCidr ${this.podCidr.text} is too small: a node needs at least a /30 ` +
          '(network, gateway, one pod, broadcast); a /24 is usual',
      );
    }
    this.bridgeName = options.bridgeName ?? DEFAULT_BRIDGE_NAME;
    if (!/^[A-Za-z0-9_-]+$/.test(this.bridgeName) || this.bridgeName.length > MAX_IFNAME_LENGTH) {
      throw new PodNetworkError(
        `bridgeName "${this.bridgeName}" is not a usable interface name: ` +
          `use 1 to ${MAX_IFNAME_LENGTH} letters, digits, "-" or "_"`,
      );
    }
    this.gateway = formatIpv4(this.podCidr.network + 1);
    this.ipam = new FileIpam({ dir: this.stateDir, cidr: this.podCidr, reserved: [this.gateway] });
  }

  /**
   * Makes sure the safety routes, the bridge, its gateway address for this node
   * and its up state exist. attach() runs it once per process and again after a failed attach, so
   * a bridge deleted behind the agent's back comes back; the agent may also call
   * it at start-up to fail fast.
   */
  ensureHost(): Promise<void> {
    checkPodNetworkPrivileges();
    // Concurrent attaches join one set-up rather than racing each other's `ip` calls.
    this.hostSetUp ??= this.setUpHost().finally(() => {
      this.hostSetUp = undefined;
    });
    return this.hostSetUp;
  }

  /**
   * The host set-up once per process, not once per pod (a dozen `ip` calls
   * each time made a node taking over many pods slow); an attach that fails
   * forgets it, so the next one checks the host again and repairs it.
   */
  private ensureHostOnce(): Promise<void> {
    this.hostReady ??= this.ensureHost().catch((error: unknown) => {
      this.hostReady = undefined;
      throw error;
    });
    return this.hostReady;
  }

  async attach(podUid: string): Promise<PodNetworkAttachment> {
    validatePodUid(podUid);
    checkPodNetworkPrivileges();
    return this.locks.run(podUid, async () => {
      try {
        await this.ensureHostOnce();
        const held = await this.ipam.findByPod(podUid);
        const allocation = held === undefined ? await this.attachFresh(podUid) : await this.reattach(held);
        return attachmentOf(allocation);
      } catch (error) {
        this.hostReady = undefined;
        throw new PodNetworkError(`cannot attach pod ${podUid} to the pod network: ${messageOf(error)}`, {
          cause: error,
        });
      }
    });
  }

  async detach(podUid: string): Promise<void> {
    validatePodUid(podUid);
    checkPodNetworkPrivileges();
    await this.locks.run(podUid, async () => {
      try {
        // Normally one allocation; more only if an earlier agent crashed mid-attach in an odd place.
        for (const allocation of (await this.ipam.list()).filter((a) => a.podUid === podUid)) {
          await this.tearDown(allocation);
          await this.ipam.release(allocation.ip, podUid);
        }
      } catch (error) {
        throw new PodNetworkError(`cannot detach pod ${podUid} from the pod network: ${messageOf(error)}`, {
          cause: error,
        });
      }
    });
  }

  async existing(): Promise<Map<string, PodNetworkAttachment>> {
    checkPodNetworkPrivileges();
    const attachments = new Map<string, PodNetworkAttachment>();
    for (const listed of await this.ipam.list()) {
      await this.locks.run(listed.podUid, async () => {
        // Re-read under the pod's lock: a concurrent detach or attach may have changed the file.
        const allocation = await this.ipam.read(listed.ip);
        if (allocation === undefined || allocation.podUid !== listed.podUid) return;
        const { netnsName } = allocation;
        if ((await netnsExists(netnsName)) && (await this.netnsBelongsTo(netnsName, allocation.ip))) {
          if (!attachments.has(allocation.podUid)) attachments.set(allocation.podUid, attachmentOf(allocation));
          return;
        }
        // The namespace is gone (host rebooted, or removed by hand) or its name now belongs to
        // someone else: the entry is stale. Free the IP; the agent re-attaches pods it still runs.
        if (!(await netnsExists(netnsName))) {
          // A process may still hold the nameless namespace; its eth0 would carry this IP and MAC onto the bridge.
          await ignoreNotFound(runIp(['link', 'delete', 'dev', hostVethName(netnsName)]));
        }
        await this.ipam.release(allocation.ip, allocation.podUid);
      });
    }
    return attachments;
  }

  // ---- host set-up -------------------------------------------------------

  private async setUpHost(): Promise<void> {
    const bridge = this.bridgeName;
    // Safety net first, before any pod address exists on this host. `replace` is idempotent and
    // is keyed by prefix + metric, so it coexists with other agents' identical route.
    await step(`adding the safety route "blackhole ${this.clusterCidr.text} metric ${BLACKHOLE_METRIC}"`, () =>
      runIp(['route', 'replace', 'blackhole', this.clusterCidr.text, 'metric', String(BLACKHOLE_METRIC)]),
    );
    await this.ensureNoForwardRule();
    await this.ensureBridge();
    await step(`disabling IPv4 forwarding on ${bridge}`, () =>
      writeFile(`/proc/sys/net/ipv4/conf/${bridge}/forwarding`, '0'),
    );
    const gatewayCidr = `${this.gateway}/${this.podCidr.prefix}`;
    try {
      await runIp(['address', 'add', gatewayCidr, 'dev', bridge]);
    } catch (error) {
      // Our own earlier run (or a restart) already added it: fine.
      if (!isAlreadyExists(error)) {
        throw new PodNetworkError(`adding gateway address ${gatewayCidr} to ${bridge}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    }
    await step(`bringing bridge ${bridge} up`, () => runIp(['link', 'set', 'dev', bridge, 'up']));
  }

  private async ensureNoForwardRule(): Promise<void> {
    const bridge = this.bridgeName;
    const rules = await step('listing policy routing rules', () => runIpJson(['rule', 'show']));
    const present =
      Array.isArray(rules) &&
      rules.some((rule) => isRecord(rule) && rule['iif'] === bridge && rule['priority'] === BRIDGE_RULE_PRIORITY);
    if (present) return;
    try {
      await runIp(['rule', 'add', 'iif', bridge, 'priority', String(BRIDGE_RULE_PRIORITY), 'unreachable']);
    } catch (error) {
      // Another agent sharing the bridge added it between our check and our add.
      if (!isAlreadyExists(error)) {
        throw new PodNetworkError(
          `adding the rule "iif ${bridge} priority ${BRIDGE_RULE_PRIORITY} unreachable": ${messageOf(error)}`,
          { cause: error },
        );
      }
    }
  }

  private async ensureBridge(): Promise<void> {
    const bridge = this.bridgeName;
    const mac = bridgeMacAddress(bridge);
    try {
      await runIp(['link', 'add', 'name', bridge, 'address', mac, 'type', 'bridge']);
    } catch (error) {
      // Created earlier, or by another agent starting at the same moment: check below that it is a bridge.
      if (!isAlreadyExists(error)) {
        throw new PodNetworkError(`creating bridge ${bridge}: ${messageOf(error)}`, { cause: error });
      }
    }
    const details = await step(`inspecting ${bridge}`, () => runIpJson(['-details', 'link', 'show', 'dev', bridge]));
    const kind = linkKind(details);
    if (kind !== 'bridge') {
      throw new PodNetworkError(
        `${bridge} exists but is ${kind === undefined ? 'not a bridge' : `a ${kind} device, not a bridge`}; ` +
          `delete it (ip link delete ${bridge}) or configure another bridgeName`,
      );
    }
    // A bridge made by something else without a fixed MAC would follow its ports' MACs (see bridgeMacAddress).
    const assignType = await readFile(`/sys/class/net/${bridge}/addr_assign_type`, 'utf8').catch(() => '');
    if (assignType.trim() !== '3' /* NET_ADDR_SET */) {
      await step(`pinning the MAC address of ${bridge}`, () =>
        runIp(['link', 'set', 'dev', bridge, 'address', mac]),
      );
    }
  }

  // ---- per pod -------------------------------------------------------------

  /** First attach of a pod: claim an IP and a namespace name, then plumb; undo everything on failure. */
  private async attachFresh(podUid: string): Promise<IpAllocation> {
    const taken = new Set((await this.ipam.list()).map((a) => a.netnsName));
    let allocation = await this.ipam.allocate(podUid, await this.freeNetnsName(podUid, taken));
    let createdNetns = false;
    try {
      // `ip netns add` is the atomic claim of a name; losing means another pod (here or in another
      // agent) with the same 12-character uid prefix got there first.
      while (!(await createNetns(allocation.netnsName))) {
        taken.add(allocation.netnsName);
        allocation = { ...allocation, netnsName: await this.freeNetnsName(podUid, taken) };
        await this.ipam.update(allocation);
      }
      createdNetns = true;
      await this.plumb(allocation, 'fresh');
      return allocation;
    } catch (error) {
      if (createdNetns) await this.tearDown(allocation).catch(() => undefined);
      await this.ipam.release(allocation.ip, podUid).catch(() => undefined);
      throw error;
    }
  }

  /** The pod already holds an IP: keep it, and make sure its namespace and veth are (still) in place. */
  private async reattach(held: IpAllocation): Promise<IpAllocation> {
    const taken = new Set((await this.ipam.list()).filter((a) => a.podUid !== held.podUid).map((a) => a.netnsName));
    let allocation = held;
    for (;;) {
      if (await createNetns(allocation.netnsName)) {
        // The namespace was gone (e.g. after a reboot): rebuild it with the same IP.
        await this.plumb(allocation, 'fresh');
        return allocation;
      }
      if (await this.netnsBelongsTo(allocation.netnsName, allocation.ip)) {
        if (!(await this.isHealthy(allocation))) await this.plumb(allocation, 'repair');
        return allocation;
      }
      // Our namespace vanished and another agent's pod took the name meanwhile: move to another name.
      taken.add(allocation.netnsName);
      allocation = { ...allocation, netnsName: await this.freeNetnsName(held.podUid, taken) };
      await this.ipam.update(allocation);
    }
  }

  private async freeNetnsName(podUid: string, taken: ReadonlySet<string>): Promise<string> {
    for (let attempt = 0; attempt < MAX_NETNS_CANDIDATES; attempt += 1) {
      const name = netnsCandidateName(podUid, attempt);
      if (!taken.has(name) && !(await netnsExists(name))) return name;
    }
    throw new PodNetworkError(
      `all ${MAX_NETNS_CANDIDATES} namespace names for pod ${podUid} (${netnsBaseName(podUid)}, ` +
        `${netnsBaseName(podUid)}-1, …) are taken; remove stale namespaces (ip netns list; ip netns delete NAME)`,
    );
  }

  /**
   * Creates the veth pair with its pod end directly inside the namespace (so no
   * half-made device is ever left in the host namespace), puts the host end on
   * the bridge and configures the pod side. 'repair' first removes whatever an
   * interrupted earlier attempt left behind.
   */
  private async plumb(allocation: IpAllocation, mode: 'fresh' | 'repair'): Promise<void> {
    const { netnsName: ns, ip } = allocation;
    const veth = hostVethName(ns);
    const inPod = (args: readonly string[]): Promise<string> => runIp(['-netns', ns, ...args]);
    // Fresh namespaces are empty, but a same-named host veth can survive from a crashed attempt.
    await ignoreNotFound(runIp(['link', 'delete', 'dev', veth]));
    if (mode === 'repair') await ignoreNotFound(inPod(['link', 'delete', 'dev', 'eth0']));
    await step(`creating veth pair ${veth} <-> ${ns}:eth0`, () =>
      runIp(['link', 'add', 'name', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', podMacAddress(ip), 'netns', ns]),
    );
    await step(`attaching ${veth} to bridge ${this.bridgeName}`, () =>
      runIp(['link', 'set', 'dev', veth, 'master', this.bridgeName, 'up']),
    );
    await step(`bringing up loopback in ${ns}`, () => inPod(['link', 'set', 'dev', 'lo', 'up']));
    // The pod's prefix is the whole cluster CIDR, not the node's slice: pods of other agents sharing
    // this bridge are then on-link (plain layer 2), which matters because the host never forwards.
    const podAddress = `${ip}/${this.clusterCidr.prefix}`;
    await step(`adding ${podAddress} to eth0 in ${ns}`, () => inPod(['address', 'add', podAddress, 'dev', 'eth0']));
    await step(`bringing up eth0 in ${ns}`, () => inPod(['link', 'set', 'dev', 'eth0', 'up']));
    await step(`adding the default route via ${this.gateway} in ${ns}`, () =>
      inPod(['route', 'replace', 'default', 'via', this.gateway, 'dev', 'eth0']),
    );
  }

  /** Everything plumb() sets up is still there: lo and eth0 up with the IP, default route, veth on the bridge. */
  private async isHealthy(allocation: IpAllocation): Promise<boolean> {
    const { netnsName: ns, ip } = allocation;
    try {
      const links = await runIpJson(['-netns', ns, 'address', 'show']);
      const routes = await runIpJson(['-netns', ns, 'route', 'show', 'default']);
      const host = await runIpJson(['link', 'show', 'dev', hostVethName(ns)]);
      if (!Array.isArray(links) || !Array.isArray(routes) || !Array.isArray(host)) return false;
      const lo = links.find((link) => isRecord(link) && link['ifname'] === 'lo');
      const eth0 = links.find((link) => isRecord(link) && link['ifname'] === 'eth0');
      const hostEnd: unknown = host[0];
      return (
        hasFlag(lo, 'UP') &&
        hasFlag(eth0, 'UP') &&
        hasIpv4(eth0, ip, this.clusterCidr.prefix) &&
        routes.some((route) => isRecord(route) && route['gateway'] === this.gateway && route['dev'] === 'eth0') &&
        isRecord(hostEnd) &&
        hostEnd['master'] === this.bridgeName &&
        hasFlag(hostEnd, 'UP')
      );
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Whether an existing namespace is this pod's: it is if its eth0 holds the
   * pod's IP (unique to this node's slice), or if it has no devices besides lo
   * yet (created by an attach that was interrupted before plumbing).
   */
  private async netnsBelongsTo(netnsName: string, ip: string): Promise<boolean> {
    const links = await step(`inspecting network namespace ${netnsName}`, () =>
      runIpJson(['-netns', netnsName, 'address', 'show']),
    );
    if (!Array.isArray(links)) return false;
    const devices = links.filter((link) => !(isRecord(link) && link['ifname'] === 'lo'));
    if (devices.length === 0) return true;
    return devices.some((link) => isRecord(link) && link['ifname'] === 'eth0' && hasIpv4(link, ip));
  }

  /** Removes the pod's veth and namespace if they are this pod's; missing pieces are fine (idempotent). */
  private async tearDown(allocation: IpAllocation): Promise<void> {
    const { netnsName: ns, ip } = allocation;
    const veth = hostVethName(ns);
    if (await netnsExists(ns)) {
      // The name may have passed to another agent's pod after ours vanished: leave theirs alone.
      if (!(await this.netnsBelongsTo(ns, ip))) return;
      // Deleting the veth destroys both ends at once, even while a container process still holds the namespace.
      await step(`deleting veth ${veth}`, () => ignoreNotFound(runIp(['link', 'delete', 'dev', veth])));
      await step(`deleting network namespace ${ns}`, () => ignoreNotFound(runIp(['netns', 'delete', ns])));
    } else {
      await step(`deleting veth ${veth}`, () => ignoreNotFound(runIp(['link', 'delete', 'dev', veth])));
    }
  }
}

function attachmentOf(allocation: IpAllocation): PodNetworkAttachment {
  return { netnsPath: `${NETNS_DIR}/${allocation.netnsName}`, ip: allocation.ip };
}

function validatePodUid(podUid: string): void {
  if (typeof podUid !== 'string' || podUid.trim() === '') {
    throw new PodNetworkError('pod uid must be a non-empty string');
  }
}

async function netnsExists(name: string): Promise<boolean> {
  try {
    await stat(`${NETNS_DIR}/${name}`);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false;
    throw new PodNetworkError(`cannot check ${NETNS_DIR}/${name}: ${messageOf(error)}`, { cause: error });
  }
}

/** `ip netns add`: true if we created it, false if the name already exists. */
async function createNetns(name: string): Promise<boolean> {
  try {
    await runIp(['netns', 'add', name]);
    return true;
  } catch (error) {
    if (isAlreadyExists(error)) return false;
    throw new PodNetworkError(`creating network namespace ${name}: ${messageOf(error)}`, { cause: error });
  }
}

/** Runs one step and prefixes a failure with what the step was for. */
async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new PodNetworkError(`${what}: ${messageOf(error)}`, { cause: error });
  }
}

/** Awaits an `ip` call whose target may already be gone (deleting is idempotent). */
async function ignoreNotFound(pending: Promise<string>): Promise<void> {
  try {
    await pending;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasFlag(link: unknown, flag: string): boolean {
  return isRecord(link) && Array.isArray(link['flags']) && link['flags'].includes(flag);
}

function hasIpv4(link: unknown, ip: string, prefix?: number): boolean {
  if (!isRecord(link) || !Array.isArray(link['addr_info'])) return false;
  return link['addr_info'].some(
    (info) =>
      isRecord(info) &&
      info['family'] === 'inet' &&
      info['local'] === ip &&
      (prefix === undefined || info['prefixlen'] === prefix),
  );
}

/** linkinfo.info_kind from `ip -details -json link show` ("bridge", "veth", …), or undefined for plain devices. */
function linkKind(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  const link: unknown = details[0];
  if (!isRecord(link)) return undefined;
  const info = link['linkinfo'];
  if (!isRecord(info)) return undefined;
  const kind = info['info_kind'];
  return typeof kind === 'string' ? kind : undefined;
}
