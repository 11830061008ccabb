// The host side of pod networking: the bridge every agent on this machine
// shares, this node's gateway address on it, and the safety net that keeps pod
// traffic on the machine (README, "Pod networking, and why it is safe here", and
// the rule in "The real parts in tests, and network safety"): pod addresses must
// never be reached via the default route. Set-up installs, before any pod
// address exists:
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
// With the VXLAN overlay (vxlan-overlay.ts) the host does forward pod traffic,
// but only what `forward` allows, by one more rule in front of the refusal:
//   - 'cluster': `ip rule iif <bridge> to <clusterCidr> lookup main priority 999`
//     (the routes to other nodes' slices are in main; anything else in
//     clusterCidr still meets the blackhole), with forwarding and proxy ARP on
//     the bridge: pods hold a /16 on-link, so they ARP for a remote pod and
//     the host answers for it (an address it routes through another device).
//   - 'all' (--masquerade-outside): `ip rule iif <bridge> lookup main priority 999`:
//     pods reach beyond the cluster too, masqueraded (overlay-nft.ts).
//   With the overlay also `ip rule iif <bridge> fwmark 0x2000/0x2000 lookup main
//   priority 998`: the overlay table marks only replies of DNAT'd connections
//   (a NodePort reached from the LAN and answered by a pod of this node), which
//   must go back out of the LAN link after their un-NAT.
// Without the overlay but with the service proxy ('bridge'): the same rule as
// 'cluster', with forwarding on and no proxy ARP. Pod → ClusterIP is DNAT'd to
// a pod that may sit on this bridge (or another agent's /24 on it), and the
// host must route it back onto the bridge. Main's routes for clusterCidr are
// only bridges' connected /24s and the blackhole, so nothing leaves the machine.
// What is forwarded is further limited by the overlay's nftables table.
// Several agents may run this at once for the same bridge, so every step is
// idempotent and tolerates another agent doing it in between.

import { readFile, writeFile } from 'node:fs/promises';
import { isRecord, messageOf, type Ipv4Cidr } from '@skiff/api/core';
import { ignoreNotFound, isAlreadyExists, runIp, runIpJson } from './ip-command.js';
import { linkKind } from './ip-output.js';
import { bridgeMacAddress } from './pod-network-names.js';
import { PodNetworkError, step } from './pod-network-error.js';

/** Metric of the clusterCidr blackhole: high, so any real route for the same prefix wins over it. */
export const BLACKHOLE_METRIC = 4000;
/** Priority of the "nothing from the bridge is forwarded" rule: after `local` (0), before `main` (32766). */
export const BRIDGE_RULE_PRIORITY = 1000;
/** Priority of the overlay's "forward this from the bridge" rule, just in front of the refusal. */
export const BRIDGE_FORWARD_RULE_PRIORITY = 999;

/** What the host forwards from its pods: nothing (one host), other nodes' pods (overlay), or everything (overlay + masquerade). */
export type PodForwarding = 'none' | 'bridge' | 'cluster' | 'all';

/** Priority of the rule that routes marked replies of DNAT'd flows (overlay only). */
export const DNAT_REPLY_RULE_PRIORITY = 998;
/** The packet mark bit the overlay table sets on replies of DNAT'd flows from the bridge (the proxy uses 0x4000). */
export const DNAT_REPLY_MARK = 0x2000;

/** One agent's place on the host bridge. */
export interface HostNetwork {
  readonly bridgeName: string;
  /** The whole pod network (all nodes' slices): what the blackhole covers. */
  readonly clusterCidr: Ipv4Cidr;
  /** This node's slice; the gateway gets its prefix on the bridge. */
  readonly podCidr: Ipv4Cidr;
  /** This node's address on the bridge, the pods' default route. */
  readonly gateway: string;
  /** Default 'none'. */
  readonly forwarding?: PodForwarding;
  /** MTU of the bridge (and the pods' veths); default the kernel's. */
  readonly mtu?: number;
}

/** Makes sure the safety routes, the bridge, this node's gateway address on it and its up state exist. */
export async function setUpHost(host: HostNetwork): Promise<void> {
  const bridge = host.bridgeName;
  // Safety net first, before any pod address exists on this host. `replace` is idempotent and
  // is keyed by prefix + metric, so it coexists with other agents' identical route.
  await step(`adding the safety route "blackhole ${host.clusterCidr.text} metric ${BLACKHOLE_METRIC}"`, () =>
    runIp(['route', 'replace', 'blackhole', host.clusterCidr.text, 'metric', String(BLACKHOLE_METRIC)]),
  );
  await ensureNoForwardRule(bridge);
  await ensureBridge(bridge);
  await setUpForwarding(bridge, host.forwarding ?? 'none', host.clusterCidr);
  if (host.mtu !== undefined) {
    const mtu = String(host.mtu);
    await step(`setting the MTU of ${bridge} to ${mtu}`, () => runIp(['link', 'set', 'dev', bridge, 'mtu', mtu]));
  }
  const gatewayCidr = `${host.gateway}/${host.podCidr.prefix}`;
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

async function ensureNoForwardRule(bridge: string): Promise<void> {
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

/**
 * What the host forwards from the bridge (once the bridge exists): the rule in
 * front of the refusal, and the bridge's forwarding and proxy-ARP switches.
 * 'none' needs no clusterCidr.
 */
export async function setUpForwarding(bridge: string, forwarding: PodForwarding, clusterCidr?: Ipv4Cidr): Promise<void> {
  await ensureForwardRule(bridge, forwarding, clusterCidr);
  await ensureReplyRule(bridge, forwarding === 'cluster' || forwarding === 'all');
  const on = forwarding === 'none' ? '0' : '1';
  const proxyArp = forwarding === 'cluster' || forwarding === 'all' ? '1' : '0';
  const conf = `/proc/sys/net/ipv4/conf/${bridge}`;
  // The bridge may be gone already (a reset after its namespace went): nothing left to switch.
  if (on === '0' && !(await readFile(`${conf}/forwarding`, 'utf8').then(() => true, () => false))) return;
  await step(`${on === '1' ? 'enabling' : 'disabling'} IPv4 forwarding on ${bridge}`, () => writeFile(`${conf}/forwarding`, on));
  await step(`${proxyArp === '1' ? 'enabling' : 'disabling'} proxy ARP on ${bridge}`, async () => {
    await writeFile(`${conf}/proxy_arp`, proxyArp);
    // Answer at once, not after a random delay of up to 0.8 s.
    await writeFile(`/proc/sys/net/ipv4/neigh/${bridge}/proxy_delay`, '0');
  });
}

/** The rule at BRIDGE_FORWARD_RULE_PRIORITY for `forwarding` exists, and no other rule for the bridge at that priority does. */
async function ensureForwardRule(bridge: string, forwarding: PodForwarding, clusterCidr: Ipv4Cidr | undefined): Promise<void> {
  const priority = String(BRIDGE_FORWARD_RULE_PRIORITY);
  const rules = await step('listing policy routing rules', () => runIpJson(['rule', 'show', 'priority', priority]));
  if ((forwarding === 'cluster' || forwarding === 'bridge') && clusterCidr === undefined) throw new PodNetworkError(`forwarding '${forwarding}' needs the cluster CIDR`);
  const wanted = forwarding === 'cluster' || forwarding === 'bridge' ? clusterCidr?.text : forwarding === 'all' ? 'all' : undefined;
  let present = false;
  for (const rule of Array.isArray(rules) ? rules : []) {
    if (!isRecord(rule) || rule['iif'] !== bridge || rule['priority'] !== BRIDGE_FORWARD_RULE_PRIORITY) continue;
    const to = typeof rule['dst'] === 'string' ? `${rule['dst']}/${String(rule['dstlen'])}` : 'all';
    if (to === wanted && rule['table'] === 'main' && rule['action'] === undefined) {
      present = true;
      continue;
    }
    await step(`removing the rule "iif ${bridge} to ${to} priority ${priority}"`, () =>
      ignoreNotFound(runIp(['rule', 'del', 'priority', priority, 'iif', bridge, ...(to === 'all' ? [] : ['to', to]), ...(typeof rule['table'] === 'string' ? ['lookup', rule['table']] : [])])),
    );
  }
  if (present || wanted === undefined) return;
  try {
    await runIp(['rule', 'add', 'iif', bridge, ...(wanted === 'all' ? [] : ['to', wanted]), 'lookup', 'main', 'priority', priority]);
  } catch (error) {
    if (!isAlreadyExists(error)) throw new PodNetworkError(`adding the rule "iif ${bridge} to ${wanted} lookup main priority ${priority}": ${messageOf(error)}`, { cause: error });
  }
}

/** `iif <bridge> fwmark DNAT_REPLY_MARK lookup main priority 998` exists when `wanted`, and not otherwise. */
async function ensureReplyRule(bridge: string, wanted: boolean): Promise<void> {
  const priority = String(DNAT_REPLY_RULE_PRIORITY);
  const mark = `0x${DNAT_REPLY_MARK.toString(16)}/0x${DNAT_REPLY_MARK.toString(16)}`;
  const rules = await step('listing policy routing rules', () => runIpJson(['rule', 'show', 'priority', priority]));
  const present = Array.isArray(rules) && rules.some((rule) => isRecord(rule) && rule['iif'] === bridge && rule['priority'] === DNAT_REPLY_RULE_PRIORITY);
  if (present === wanted) return;
  if (!wanted) {
    await step(`removing the rule "iif ${bridge} fwmark ${mark} priority ${priority}"`, () => ignoreNotFound(runIp(['rule', 'del', 'priority', priority, 'iif', bridge, 'fwmark', mark, 'lookup', 'main'])));
    return;
  }
  try {
    await runIp(['rule', 'add', 'iif', bridge, 'fwmark', mark, 'lookup', 'main', 'priority', priority]);
  } catch (error) {
    if (!isAlreadyExists(error)) throw new PodNetworkError(`adding the rule "iif ${bridge} fwmark ${mark} lookup main priority ${priority}": ${messageOf(error)}`, { cause: error });
  }
}

async function ensureBridge(bridge: string): Promise<void> {
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
    await step(`pinning the MAC address of ${bridge}`, () => runIp(['link', 'set', 'dev', bridge, 'address', mac]));
  }
}
