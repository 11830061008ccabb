// What the VXLAN overlay should hold for the other nodes, and how to get there
// from what the kernel holds now. Pure: the desired entries come from the Node
// objects, the current ones from `ip -json` / `bridge -json`, and the plan is
// their difference, so the whole set is reconciled on every change and after
// every restart (nothing is remembered between runs).
//
// Per remote node (flannel's vxlan design):
//   route       <its podCIDR> via <its VTEP IP> dev <vxlan> onlink
//   neighbour   <its VTEP IP> lladdr <its vxlan MAC> nud permanent   (no ARP over the tunnel)
//   fdb         <its vxlan MAC> dst <its underlay IP> self permanent (where to send the frame)
// where its VTEP IP is the network address of its podCIDR (10.244.3.0 for 10.244.3.0/24).

import {
  containsCidr,
  formatIpv4,
  isRecord,
  parseCidr,
  parseIpv4,
  VTEP_ADDRESS_ANNOTATION,
  VTEP_MAC_ANNOTATION,
  type Ipv4Cidr,
  type Node,
} from '@skiff/api/core';

/** A remote node as the overlay needs it. */
export interface OverlayPeer {
  readonly name: string;
  readonly podCidr: string;
  /** Network address of podCidr: the peer's address on its vxlan device. */
  readonly vtepIp: string;
  /** Where its VXLAN packets go: its underlay (LAN) address. */
  readonly underlayIp: string;
  readonly mac: string;
}

export interface RouteEntry {
  readonly dst: string;
  readonly gateway: string;
}
export interface NeighbourEntry {
  readonly ip: string;
  readonly mac: string;
}
export interface FdbEntry {
  readonly mac: string;
  readonly dst: string;
}

export interface OverlayEntries {
  readonly routes: readonly RouteEntry[];
  readonly neighbours: readonly NeighbourEntry[];
  readonly fdb: readonly FdbEntry[];
}

/** Adds/replacements first (a changed peer is rewritten in place), then removals. */
export interface OverlayPlan {
  readonly fdbToAdd: readonly FdbEntry[];
  readonly neighboursToSet: readonly NeighbourEntry[];
  readonly routesToSet: readonly RouteEntry[];
  readonly routesToRemove: readonly RouteEntry[];
  readonly neighboursToRemove: readonly NeighbourEntry[];
  readonly fdbToRemove: readonly FdbEntry[];
}

/** A node the overlay leaves out, and why (logged, so a half-registered peer is visible). */
export interface SkippedPeer {
  readonly name: string;
  readonly reason: string;
}

export interface LocalVtep {
  readonly nodeName: string;
  readonly podCidr: Ipv4Cidr;
  readonly clusterCidr: Ipv4Cidr;
  readonly underlayIp: string;
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** Whether `mac` is a lowercase colon-separated unicast MAC (the low bit of the first octet clear). */
export function isUnicastMac(mac: string): boolean {
  return MAC.test(mac) && (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== '00:00:00:00:00:00';
}

/** The peers among `nodes`: every other node with a pod CIDR inside the cluster's and a published VTEP. */
export function peersOf(nodes: readonly Node[], local: LocalVtep): { peers: OverlayPeer[]; skipped: SkippedPeer[] } {
  const peers: OverlayPeer[] = [];
  const skipped: SkippedPeer[] = [];
  const cidrsTaken = new Map<string, string>([[local.podCidr.text, local.nodeName]]);
  for (const node of [...nodes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const name = node.metadata.name;
    if (name === local.nodeName) continue;
    const skip = (reason: string): void => {
      skipped.push({ name, reason });
    };
    const annotations = node.metadata.annotations ?? {};
    const underlayIp = annotations[VTEP_ADDRESS_ANNOTATION];
    const mac = annotations[VTEP_MAC_ANNOTATION]?.toLowerCase();
    const podCidrText = node.spec.podCIDR;
    if (underlayIp === undefined || mac === undefined) {
      skip(`no ${VTEP_ADDRESS_ANNOTATION} / ${VTEP_MAC_ANNOTATION} annotations (its agent runs no overlay)`);
      continue;
    }
    if (podCidrText === undefined || podCidrText === '') {
      skip('no spec.podCIDR yet');
      continue;
    }
    let podCidr: Ipv4Cidr;
    try {
      podCidr = parseCidr(podCidrText, 'spec.podCIDR');
      parseIpv4(underlayIp);
    } catch (error) {
      skip((error as Error).message);
      continue;
    }
    if (!containsCidr(local.clusterCidr, podCidr)) {
      skip(`spec.podCIDR ${podCidr.text} is outside the pod network ${local.clusterCidr.text}`);
      continue;
    }
    if (!isUnicastMac(mac)) {
      skip(`${VTEP_MAC_ANNOTATION} "${mac}" is not a unicast MAC address`);
      continue;
    }
    if (underlayIp === local.underlayIp) {
      skip(`${VTEP_ADDRESS_ANNOTATION} ${underlayIp} is this node's own address`);
      continue;
    }
    const holder = cidrsTaken.get(podCidr.text);
    if (holder !== undefined) {
      skip(`spec.podCIDR ${podCidr.text} is node ${holder}'s too`);
      continue;
    }
    cidrsTaken.set(podCidr.text, name);
    peers.push({ name, podCidr: podCidr.text, vtepIp: formatIpv4(podCidr.network), underlayIp, mac });
  }
  return { peers, skipped };
}

export function desiredEntries(peers: readonly OverlayPeer[]): OverlayEntries {
  return {
    routes: peers.map((p) => ({ dst: p.podCidr, gateway: p.vtepIp })),
    neighbours: peers.map((p) => ({ ip: p.vtepIp, mac: p.mac })),
    fdb: peers.map((p) => ({ mac: p.mac, dst: p.underlayIp })),
  };
}

/** `ip -json route show dev <vxlan>` (main table): the unicast routes through the device. */
export function parseRoutes(json: unknown): RouteEntry[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((entry): RouteEntry[] => {
    if (!isRecord(entry) || typeof entry['dst'] !== 'string' || (entry['type'] !== undefined && entry['type'] !== 'unicast')) return [];
    const dst = entry['dst'].includes('/') ? entry['dst'] : `${entry['dst']}/32`;
    return [{ dst, gateway: typeof entry['gateway'] === 'string' ? entry['gateway'] : '' }];
  });
}

/** `ip -json neigh show dev <vxlan>`: only permanent entries are ours (the kernel may keep failed lookups). */
export function parseNeighbours(json: unknown): NeighbourEntry[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((entry): NeighbourEntry[] => {
    if (!isRecord(entry) || typeof entry['dst'] !== 'string') return [];
    const state = entry['state'];
    if (!Array.isArray(state) || !state.includes('PERMANENT')) return [];
    return [{ ip: entry['dst'], mac: typeof entry['lladdr'] === 'string' ? entry['lladdr'].toLowerCase() : '' }];
  });
}

/** `bridge -json fdb show dev <vxlan>`: the entries that name a remote VTEP. */
export function parseFdb(json: unknown): FdbEntry[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((entry): FdbEntry[] => {
    if (!isRecord(entry) || typeof entry['mac'] !== 'string' || typeof entry['dst'] !== 'string') return [];
    return [{ mac: entry['mac'].toLowerCase(), dst: entry['dst'] }];
  });
}

export function planOverlay(current: OverlayEntries, desired: OverlayEntries): OverlayPlan {
  const routeKey = (r: RouteEntry): string => `${r.dst} via ${r.gateway}`;
  const neighKey = (n: NeighbourEntry): string => `${n.ip} ${n.mac}`;
  const fdbKey = (f: FdbEntry): string => `${f.mac} ${f.dst}`;
  const has = <T>(list: readonly T[], key: (t: T) => string): ((t: T) => boolean) => {
    const keys = new Set(list.map(key));
    return (t) => keys.has(key(t));
  };
  const wantedRouteDst = new Set(desired.routes.map((r) => r.dst));
  const wantedNeighIp = new Set(desired.neighbours.map((n) => n.ip));
  const currentRoute = has(current.routes, routeKey);
  const currentNeigh = has(current.neighbours, neighKey);
  const currentFdb = has(current.fdb, fdbKey);
  const wantedFdb = has(desired.fdb, fdbKey);
  return {
    fdbToAdd: desired.fdb.filter((f) => !currentFdb(f)),
    neighboursToSet: desired.neighbours.filter((n) => !currentNeigh(n)),
    routesToSet: desired.routes.filter((r) => !currentRoute(r)),
    // A route or neighbour that is only changed is replaced in place above, not removed.
    routesToRemove: current.routes.filter((r) => !wantedRouteDst.has(r.dst)),
    neighboursToRemove: current.neighbours.filter((n) => !wantedNeighIp.has(n.ip)),
    fdbToRemove: current.fdb.filter((f) => !wantedFdb(f)),
  };
}

export function isEmptyPlan(plan: OverlayPlan): boolean {
  return Object.values(plan).every((list: readonly unknown[]) => list.length === 0);
}
