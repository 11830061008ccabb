// The overlay's send-side fast path: a pod's packet for a pod of another node
// goes from the pod's veth straight into the vxlan device, past the bridge,
// br_netfilter, the route lookup (with the pod bridge's policy rules), the
// forward chain and connection tracking of the sending node, which it would
// otherwise cross once per packet (bench:overlay in the README: per packet the
// overlay paid those on both nodes, the reference host ↔ host none of them).
//
// One nftables table of the netdev family (`table netdev skiff-overlay-fast`):
//   - map `peers`: every other node's pod slice → its VTEP IP, exactly the
//     routes vxlan-overlay.ts installs on the vxlan device;
//   - chain `to-peers`: `fwd ip to ip daddr map @peers device "skiff.vx"` (counted), the
//     kernel's neighbour output to that VTEP (the permanent neighbour entry gives
//     the MAC, the FDB entry the remote node), as the route would;
//   - per pod veth (host end, a port of the bridge) an ingress chain jumping to it.
// Anything else (a Service's virtual IP, this node's pods, the host, ARP) misses
// the map and takes the ordinary path, which stays complete and correct on its
// own: the fast path only ever saves work. It is safe to skip the sending node's
// conntrack here: a pod → remote pod packet is never one this node translated
// (Services are DNAT'd on the client's node; NodePort flows are masqueraded to
// this node's own address, which is not a remote slice), and the receiving node
// still tracks and filters everything it forwards.
// The netdev family has no wildcard devices in nft 1.0.6, so the table is
// rewritten (one atomic `nft -f`) whenever the bridge's ports or the peers change.

import { execFile } from 'node:child_process';
import { isRecord, messageOf } from '@skiff/api/core';
import { runIpJson } from './ip-command.js';
import { applyNft } from './overlay-nft.js';
import type { RouteEntry } from './overlay-peers.js';

export const FAST_PATH_TABLE = 'skiff-overlay-fast';

export interface FastPathRulesetOptions {
  readonly vxlanName: string;
  /** Remote pod slices and the VTEP IP each is routed via. */
  readonly routes: readonly RouteEntry[];
  /** Host ends of the pods' veths (the bridge's ports). */
  readonly ports: readonly string[];
}

/** The nft script that replaces the table; with no routes or no ports, it only removes it. */
export function fastPathRuleset(options: FastPathRulesetOptions): string {
  const lines = [`table netdev ${FAST_PATH_TABLE} {}`, `delete table netdev ${FAST_PATH_TABLE}`];
  if (options.routes.length === 0 || options.ports.length === 0) return `${lines.join('\n')}\n`;
  const elements = options.routes.map((r) => `${cidr(r.dst)} : ${address(r.gateway)}`).join(', ');
  lines.push(
    `table netdev ${FAST_PATH_TABLE} {`,
    '  map peers {',
    '    type ipv4_addr : ipv4_addr; flags interval;',
    `    elements = { ${elements} }`,
    '  }',
    '  chain to-peers {',
    // Counted: what the fast path carried (nft list chain netdev skiff-overlay-fast to-peers).
    `    ip daddr @peers counter fwd ip to ip daddr map @peers device ${quote(options.vxlanName)}`,
    '  }',
  );
  for (const port of [...new Set(options.ports)].sort()) {
    lines.push(
      `  chain from-${port} {`,
      `    type filter hook ingress device ${quote(port)} priority filter; policy accept;`,
      '    jump to-peers',
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function fastPathRemoval(): string {
  return `table netdev ${FAST_PATH_TABLE} {}\ndelete table netdev ${FAST_PATH_TABLE}\n`;
}

export interface OverlayFastPathOptions {
  readonly bridgeName: string;
  readonly vxlanName: string;
  /** Told when a sync fails (the ordinary path still carries everything). */
  readonly warn?: (message: string) => void;
}

/**
 * Keeps the table in step with the peers' routes and the bridge's ports.
 * sync() is level-triggered (re-lists the ports each time), serialised, and
 * coalesces calls made while one runs; it writes only when the script changed.
 */
export class OverlayFastPath {
  private routes: readonly RouteEntry[] = [];
  private written: string | undefined;
  private verify = false;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: OverlayFastPathOptions) {}

  /** The remote slices to fast-path (vxlan-overlay.ts, once their neighbours and FDB entries exist). Never rejects. */
  async setRoutes(routes: readonly RouteEntry[]): Promise<void> {
    this.routes = [...routes].sort((a, b) => a.dst.localeCompare(b.dst));
    await this.syncQuietly();
  }

  /** Forget what was written: the next sync rewrites the table (the vxlan device was re-created: a new ifindex). */
  invalidate(): void {
    this.written = undefined;
  }

  /**
   * The next sync checks that the table still exists even if nothing changed
   * (the periodic resync: a table removed by hand comes back), without
   * rewriting a present one, whose counter would start again.
   */
  verifyNext(): void {
    this.verify = true;
  }

  sync(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** sync() that never rejects: for callers (pod attach/detach) the fast path is an optimisation. */
  async syncQuietly(): Promise<void> {
    try {
      await this.sync();
    } catch (error) {
      this.options.warn?.(`the overlay fast path was not updated (pods still reach other nodes the ordinary way): ${messageOf(error)}`);
    }
  }

  private async syncOnce(): Promise<void> {
    const listed = await runIpJson(['link', 'show', 'master', this.options.bridgeName, 'type', 'veth']);
    const ports = (Array.isArray(listed) ? listed : [])
      .map((link) => (isRecord(link) && typeof link['ifname'] === 'string' ? link['ifname'] : undefined))
      .filter((name): name is string => name !== undefined && /^[A-Za-z0-9_.-]{1,15}$/.test(name));
    const script = fastPathRuleset({ vxlanName: this.options.vxlanName, routes: this.routes, ports });
    if (script === this.written) {
      if (!this.verify) return;
      this.verify = false;
      if (script === fastPathRemoval() || (await tableExists())) return;
    }
    await applyNft(script);
    this.written = script;
  }
}

/** `nft list table netdev skiff-overlay-fast` succeeds. */
function tableExists(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('nft', ['list', 'table', 'netdev', FAST_PATH_TABLE], { timeout: 15_000, env: { ...process.env, LC_ALL: 'C' } }, (error) => resolve(error === null));
  });
}

function quote(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`interface name "${name}" cannot appear in an nft rule`);
  return `"${name}"`;
}

function address(text: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) throw new Error(`"${text}" is not an IPv4 address`);
  return text;
}

function cidr(text: string): string {
  const [ip, prefix, ...rest] = text.split('/');
  if (ip === undefined || rest.length > 0 || (prefix !== undefined && !/^\d{1,2}$/.test(prefix))) throw new Error(`"${text}" is not an IPv4 CIDR`);
  return prefix === undefined ? address(ip) : `${address(ip)}/${prefix}`;
}
