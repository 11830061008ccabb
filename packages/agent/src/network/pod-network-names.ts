// Names of what pod networking creates on the host: a network namespace per
// pod, the host end of its veth pair, the pod's MAC address and the bridge's.
// Every name is derived from something already unique (the pod uid, the
// namespace name, the IP), so none of them needs state of its own.

import { createHash } from 'node:crypto';
import { parseIpv4 } from '@skiff/api/core';

/** Where `ip netns add` puts namespace files (/var/run is /run on Debian). */
export const NETNS_DIR = '/var/run/netns';
/** Linux interface names are at most IFNAMSIZ - 1 = 15 bytes. */
export const MAX_IFNAME_LENGTH = 15;

const NETNS_PREFIX = 'skiff-';

/** Whether `name` can be a Linux interface name we create: 1 to 15 letters, digits, "-" or "_". */
export function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name) && name.length <= MAX_IFNAME_LENGTH;
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

/** The namespace file `ip netns` keeps for `netnsName`; containers of the pod join it. */
export function netnsPath(netnsName: string): string {
  return `${NETNS_DIR}/${netnsName}`;
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
export function bridgeMacAddress(bridgeName: string): string {
  const hash = sha256Hex(bridgeName);
  return ['0a', '59', hash.slice(0, 2), hash.slice(2, 4), hash.slice(4, 6), hash.slice(6, 8)].join(':');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
