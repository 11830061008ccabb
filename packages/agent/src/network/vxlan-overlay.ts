// The pod network across hosts: one VXLAN device per node (flannel's vxlan
// backend, rebuilt on iproute2 and nftables), which carries pod traffic for
// other nodes' slices of the cluster CIDR inside UDP to those nodes' LAN
// addresses. This class owns the device, its address (the VTEP IP: the
// network address of the node's podCIDR, as a /32), the host switches it
// needs and the nftables table; overlay-peers.ts decides which route,
// neighbour and FDB entry each remote node gets, and apply() makes the kernel
// hold exactly those, from what `ip -json` reports (so it is idempotent and a
// restarted agent leaves neither duplicates nor stale entries).
//
// The device: `ip link add skiff.vx address <mac> mtu <link mtu - 50> type vxlan
// id 1 dstport 8472 local <node IP> dev <LAN link> nolearning` — no learning and
// no multicast: every remote MAC is told to the kernel (FDB), every remote VTEP
// IP is resolved without ARP (permanent neighbour). 50 bytes are VXLAN's
// overhead on IPv4 (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14); the pod
// bridge and veths get the same MTU, so pods never send what cannot be wrapped.

import { writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { formatIpv4, isRecord, messageOf, type Ipv4Cidr } from '@skiff/api/core';
import { ignoreNotFound, isAlreadyExists, runBridge, runBridgeJson, runIp, runIpJson } from './ip-command.js';
import { applyNft, overlayRuleset, overlayRulesetRemoval } from './overlay-nft.js';
import {
  desiredEntries,
  isEmptyPlan,
  parseFdb,
  parseNeighbours,
  parseRoutes,
  planOverlay,
  type OverlayPeer,
  type OverlayPlan,
} from './overlay-peers.js';
import { PodNetworkError, step } from './pod-network-error.js';
import { setUpForwarding } from './host-safety.js';
import { fastPathRemoval, OverlayFastPath } from './overlay-fast-path.js';

export const DEFAULT_VXLAN_DEVICE = 'skiff.vx';
export const VXLAN_ID = 1;
/** The Linux kernel's historical VXLAN port, flannel's too (IANA's is 4789). */
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

/** The node's LAN link: the device holding its IP, and its MTU. */
export interface UnderlayLink {
  readonly name: string;
  readonly mtu: number;
}

export interface VxlanOverlayOptions {
  readonly nodeName: string;
  /** The node's LAN address: the VXLAN packets' source, what peers send to. */
  readonly nodeIp: string;
  readonly link: UnderlayLink;
  readonly podCidr: Ipv4Cidr;
  readonly clusterCidr: Ipv4Cidr;
  readonly bridgeName: string;
  readonly masqueradeOutside: boolean;
  /** Default skiff.vx. */
  readonly deviceName?: string;
  /** Told when the send-side fast path (overlay-fast-path.ts) could not be updated. */
  readonly warn?: (message: string) => void;
}

/** The device holding `ip` in this network namespace (`ip -json address show`), and its MTU. */
export async function findUnderlayLink(ip: string): Promise<UnderlayLink> {
  const links = await step('listing addresses', () => runIpJson(['-4', 'address', 'show']));
  for (const link of Array.isArray(links) ? links : []) {
    if (!isRecord(link) || !Array.isArray(link['addr_info'])) continue;
    const holds = link['addr_info'].some((info) => isRecord(info) && info['local'] === ip);
    if (holds && typeof link['ifname'] === 'string' && typeof link['mtu'] === 'number') return { name: link['ifname'], mtu: link['mtu'] };
  }
  throw new PodNetworkError(
    `no device here holds the node address ${ip}, so the pod overlay has no link to run over: ` +
      'give the agent --listen <its LAN address>:PORT, or --overlay none for a single-host cluster',
  );
}

/**
 * The vxlan device's MAC: fixed per node name (locally administered 0a:5a + a
 * hash), so it survives agent restarts and re-creations of the device and the
 * annotation published with the Node stays true.
 */
export function vxlanMacAddress(nodeName: string): string {
  const hash = createHash('sha256').update(nodeName).digest('hex');
  return ['0a', '5a', hash.slice(0, 2), hash.slice(2, 4), hash.slice(4, 6), hash.slice(6, 8)].join(':');
}

export class VxlanOverlay {
  readonly deviceName: string;
  readonly mac: string;
  readonly mtu: number;
  /** This node's VTEP IP: the network address of its podCIDR. */
  readonly vtepIp: string;
  /** Pod → remote pod packets straight from the pod's veth into the device; sync() it when the bridge's ports change. */
  readonly fastPath: OverlayFastPath;

  constructor(private readonly options: VxlanOverlayOptions) {
    this.deviceName = options.deviceName ?? DEFAULT_VXLAN_DEVICE;
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.deviceName)) throw new PodNetworkError(`vxlan device name "${this.deviceName}" is not a usable interface name`);
    this.mac = vxlanMacAddress(options.nodeName);
    this.mtu = options.link.mtu - VXLAN_OVERHEAD;
    if (this.mtu < 576) throw new PodNetworkError(`the LAN link ${options.link.name} has MTU ${options.link.mtu}: too small to carry VXLAN (it needs ${576 + VXLAN_OVERHEAD})`);
    this.vtepIp = formatIpv4(options.podCidr.network);
    this.fastPath = new OverlayFastPath({ bridgeName: options.bridgeName, vxlanName: this.deviceName, ...(options.warn ? { warn: options.warn } : {}) });
  }

  /** Creates or repairs the device, its address, the forwarding switches and the nftables table. Idempotent. */
  async ensureHost(): Promise<void> {
    const dev = this.deviceName;
    await this.ensureDevice();
    await step(`setting the MTU of ${dev} to ${this.mtu}`, () => runIp(['link', 'set', 'dev', dev, 'mtu', String(this.mtu)]));
    await this.ensureOnlyAddress();
    await step(`bringing ${dev} up`, () => runIp(['link', 'set', 'dev', dev, 'up']));
    // Per device, never the global switch: packets from the tunnel may be routed (to the bridge).
    await step(`enabling IPv4 forwarding on ${dev}`, () => writeFile(`/proc/sys/net/ipv4/conf/${dev}/forwarding`, '1'));
    const link = this.options.link.name;
    // The table first: with forwarding on, the LAN link forwards only what it allows (NodePort flows to
    // pods and their replies; with masquerade also replies to masqueraded pod traffic).
    await step(`installing the nftables table of the overlay`, () =>
      applyNft(
        overlayRuleset({
          bridgeName: this.options.bridgeName, vxlanName: dev, linkName: link, clusterCidr: this.options.clusterCidr,
          masqueradeOutside: this.options.masqueradeOutside, tunnel: { nodeIp: this.options.nodeIp, port: VXLAN_PORT },
        }),
      ),
    );
    // The periodic re-check: the fast path's table too, at the next apply().
    this.fastPath.verifyNext();
    await step(`enabling IPv4 forwarding on ${link}`, () => writeFile(`/proc/sys/net/ipv4/conf/${link}/forwarding`, '1'));
  }

  /** Makes the device's routes, neighbours and FDB entries exactly those for `peers`; returns what it changed. */
  async apply(peers: readonly OverlayPeer[]): Promise<OverlayPlan> {
    const dev = this.deviceName;
    const current = {
      routes: parseRoutes(await step(`listing routes on ${dev}`, () => runIpJson(['route', 'show', 'dev', dev]))),
      neighbours: parseNeighbours(await step(`listing neighbours on ${dev}`, () => runIpJson(['neigh', 'show', 'dev', dev]))),
      fdb: parseFdb(await step(`listing the FDB of ${dev}`, () => runBridgeJson(['fdb', 'show', 'dev', dev]))),
    };
    const desired = desiredEntries(peers);
    const plan = planOverlay(current, desired);
    if (isEmptyPlan(plan)) {
      await this.fastPath.setRoutes(desired.routes);
      return plan;
    }
    for (const f of plan.fdbToAdd) {
      await step(`adding FDB entry ${f.mac} -> ${f.dst}`, () => runBridge(['fdb', 'append', f.mac, 'dev', dev, 'dst', f.dst, 'self', 'permanent']).catch(ignoreExists));
    }
    for (const n of plan.neighboursToSet) {
      await step(`setting neighbour ${n.ip} -> ${n.mac}`, () => runIp(['neigh', 'replace', n.ip, 'lladdr', n.mac, 'dev', dev, 'nud', 'permanent']));
    }
    for (const r of plan.routesToSet) {
      await step(`setting route ${r.dst} via ${r.gateway}`, () => runIp(['route', 'replace', r.dst, 'via', r.gateway, 'dev', dev, 'onlink']));
    }
    // Every wanted neighbour and FDB entry exists now, and none has gone yet: the fast path's map
    // never names a VTEP without its neighbour (neigh_xmit would then ARP on the device).
    await this.fastPath.setRoutes(desired.routes);
    for (const r of plan.routesToRemove) {
      await step(`removing route ${r.dst}`, () => ignoreNotFound(runIp(['route', 'del', r.dst, 'dev', dev])));
    }
    for (const n of plan.neighboursToRemove) {
      await step(`removing neighbour ${n.ip}`, () => ignoreNotFound(runIp(['neigh', 'del', n.ip, 'dev', dev])));
    }
    for (const f of plan.fdbToRemove) {
      await step(`removing FDB entry ${f.mac} -> ${f.dst}`, () => ignoreNotFound(runBridge(['fdb', 'del', f.mac, 'dev', dev, 'dst', f.dst, 'self'])));
    }
    return plan;
  }

  private async ensureDevice(): Promise<void> {
    const dev = this.deviceName;
    const details = await runIpJson(['-details', 'link', 'show', 'dev', dev]).catch((error: unknown) => {
      if (/does not exist|Cannot find device/i.test(messageOf(error))) return [];
      throw error;
    });
    const existing: unknown = Array.isArray(details) ? details[0] : undefined;
    if (existing !== undefined) {
      if (this.matches(existing)) return;
      // Made by an older configuration (another link or address, another MAC) or by someone else: make it ours.
      await step(`deleting the outdated ${dev}`, () => ignoreNotFound(runIp(['link', 'delete', 'dev', dev])));
    }
    // A new device has a new ifindex, which the fast path's rule holds: rewrite it at the next apply().
    this.fastPath.invalidate();
    await step(`creating vxlan device ${dev}`, () =>
      runIp([
        'link', 'add', dev, 'address', this.mac, 'mtu', String(this.mtu),
        'type', 'vxlan', 'id', String(VXLAN_ID), 'dstport', String(VXLAN_PORT),
        'local', this.options.nodeIp, 'dev', this.options.link.name, 'nolearning',
      ]),
    );
  }

  private matches(link: unknown): boolean {
    if (!isRecord(link) || link['address'] !== this.mac || !isRecord(link['linkinfo'])) return false;
    const info = link['linkinfo'];
    const data = info['info_data'];
    return (
      info['info_kind'] === 'vxlan' &&
      isRecord(data) &&
      data['id'] === VXLAN_ID &&
      data['port'] === VXLAN_PORT &&
      data['local'] === this.options.nodeIp &&
      data['link'] === this.options.link.name &&
      data['learning'] === false
    );
  }

  /** The VTEP IP as a /32 on the device, and no other IPv4 address (a changed podCIDR leaves the old one). */
  private async ensureOnlyAddress(): Promise<void> {
    const dev = this.deviceName;
    const listed = await step(`listing addresses of ${dev}`, () => runIpJson(['-4', 'address', 'show', 'dev', dev]));
    const link: unknown = Array.isArray(listed) ? listed[0] : undefined;
    const infos = isRecord(link) && Array.isArray(link['addr_info']) ? link['addr_info'] : [];
    let present = false;
    for (const info of infos) {
      if (!isRecord(info) || typeof info['local'] !== 'string') continue;
      if (info['local'] === this.vtepIp && info['prefixlen'] === 32) present = true;
      else await step(`removing ${info['local']} from ${dev}`, () => ignoreNotFound(runIp(['address', 'del', `${String(info['local'])}/${String(info['prefixlen'])}`, 'dev', dev])));
    }
    if (!present) await step(`adding ${this.vtepIp}/32 to ${dev}`, () => runIp(['address', 'add', `${this.vtepIp}/32`, 'dev', dev]).catch(ignoreExists));
  }
}

function ignoreExists(error: unknown): string {
  if (isAlreadyExists(error)) return '';
  throw error;
}

/**
 * Removes the overlay from this namespace: the device (its routes, neighbours
 * and FDB entries go with it) and the nftables table. Only when the device is
 * the node's (its `local` is `nodeIp`), so a reset run outside the node's
 * namespace leaves whatever lives there alone. Idempotent.
 */
export async function removeOverlay(nodeIp: string, bridgeName: string, deviceName: string = DEFAULT_VXLAN_DEVICE): Promise<boolean> {
  const details = await runIpJson(['-details', 'link', 'show', 'dev', deviceName]).catch(() => []);
  const link: unknown = Array.isArray(details) ? details[0] : undefined;
  const data = isRecord(link) && isRecord(link['linkinfo']) ? link['linkinfo']['info_data'] : undefined;
  if (!isRecord(data) || data['local'] !== nodeIp) return false;
  await step('removing the overlay fast path', () => applyNft(fastPathRemoval()));
  await step(`deleting ${deviceName}`, () => ignoreNotFound(runIp(['link', 'delete', 'dev', deviceName])));
  await step('removing the nftables table of the overlay', () => applyNft(overlayRulesetRemoval()));
  // The LAN link forwarded for the overlay (NodePort flows); with the table gone it goes back to forwarding nothing.
  const lanLink = data['link'];
  if (typeof lanLink === 'string' && /^[A-Za-z0-9_.-]{1,15}$/.test(lanLink)) {
    await step(`disabling IPv4 forwarding on ${lanLink}`, () => writeFile(`/proc/sys/net/ipv4/conf/${lanLink}/forwarding`, '0').catch(() => undefined));
  }
  // The bridge goes back to forwarding nothing (host-safety.ts); the bridge itself stays, as it always does.
  await setUpForwarding(bridgeName, 'none');
  return true;
}
