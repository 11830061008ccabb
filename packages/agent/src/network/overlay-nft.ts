// The overlay's nftables table: what the host forwards for its pods, and the
// optional masquerade of pod traffic that leaves the cluster. One table of
// Skiff's own (`table inet skiff-overlay`), replaced atomically by one `nft -f`
// transaction (create-if-absent, flush by delete, define), so a restart or a
// changed flag never leaves two versions side by side. Its chains have policy
// accept and only ever judge packets to or from the pod bridge and the vxlan
// device: the host's own forwarding policy (other tables) is left alone.

import { spawn } from 'node:child_process';
import type { Ipv4Cidr } from '@skiff/api/core';
import { DNAT_REPLY_MARK } from './host-safety.js';

export const OVERLAY_TABLE = 'skiff-overlay';
const NFT_BINARY = 'nft';
const NFT_TIMEOUT_MS = 15_000;

export interface OverlayRulesetOptions {
  readonly bridgeName: string;
  readonly vxlanName: string;
  readonly clusterCidr: Ipv4Cidr;
  /**
   * The LAN link the tunnel runs over. Given: a Service's NodePort reached from
   * the LAN (DNAT'd by the service proxy to a pod here or on another node) is
   * forwarded, its replies too, and nothing else from the link is.
   */
  readonly linkName?: string;
  /** Masquerade pod traffic to addresses outside clusterCidr (and let the host forward it). */
  readonly masqueradeOutside: boolean;
  /**
   * With linkName: the tunnel's own UDP packets (this node's address, the VXLAN
   * port) skip connection tracking. They are the tunnel, not flows of anyone's:
   * nothing matches their state, and tracking them cost a conntrack lookup per
   * packet on each node (the pods' flows inside stay tracked).
   */
  readonly tunnel?: { readonly nodeIp: string; readonly port: number };
}

/** The nft script that replaces the table with the one for `options`. */
export function overlayRuleset(options: OverlayRulesetOptions): string {
  const bridge = quote(options.bridgeName);
  const vxlan = quote(options.vxlanName);
  const cluster = options.clusterCidr.text;
  const link = options.linkName === undefined ? undefined : quote(options.linkName);
  const lines = [
    `table inet ${OVERLAY_TABLE} {}`,
    `delete table inet ${OVERLAY_TABLE}`,
    `table inet ${OVERLAY_TABLE} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    iifname ${bridge} oifname ${vxlan} ip daddr ${cluster} accept`,
    `    iifname ${vxlan} oifname ${bridge} ip daddr ${cluster} accept`,
    // Back out of the bridge it came in on: a pod reaching a pod of this node through the host (a Service's DNAT).
    `    iifname ${bridge} oifname ${bridge} ip daddr ${cluster} accept`,
  ];
  if (link !== undefined) {
    lines.push(
      // NodePort: what the proxy DNAT'd to a pod, from the LAN link, and its replies back out of it.
      `    iifname ${link} oifname { ${bridge}, ${vxlan} } ip daddr ${cluster} ct status dnat accept`,
      `    iifname { ${bridge}, ${vxlan} } oifname ${link} ct direction reply ct status dnat accept`,
    );
    // The link forwards (for the above) but, without masquerade, nothing else: as when its forwarding was off.
    if (!options.masqueradeOutside) lines.push(`    iifname ${link} ct status != dnat drop`);
  }
  if (options.masqueradeOutside) {
    lines.push(
      `    iifname ${bridge} oifname != ${vxlan} ip daddr != ${cluster} accept`,
      // Replies to what left masqueraded. Only with masquerade: a ct match turns on connection tracking for every packet of the host.
      `    oifname ${bridge} ct state established,related accept`,
    );
  }
  lines.push(
    // Anything else to or from the pods is not the host's to forward (pods on one bridge talk at layer 2, not through here).
    `    iifname ${bridge} drop`,
    `    oifname ${bridge} drop`,
    `    iifname ${vxlan} drop`,
    `    oifname ${vxlan} drop`,
    '  }',
  );
  if (link !== undefined) {
    lines.push(
      // Replies of a NodePort flow answered by a pod here leave by the LAN link after their un-NAT: the
      // mark lets them past the bridge's "unreachable" rule (host-safety.ts, DNAT_REPLY_MARK). Only replies of DNAT'd flows.
      '  chain prerouting {',
      '    type filter hook prerouting priority mangle; policy accept;',
      `    iifname ${bridge} ct direction reply ct status dnat meta mark set meta mark | 0x${DNAT_REPLY_MARK.toString(16)}`,
      '  }',
    );
  }
  if (link !== undefined && options.tunnel !== undefined) {
    const nodeIp = ipv4(options.tunnel.nodeIp);
    const port = String(Math.trunc(options.tunnel.port));
    lines.push(
      '  chain raw-prerouting {',
      '    type filter hook prerouting priority raw; policy accept;',
      `    iifname ${link} ip daddr ${nodeIp} udp dport ${port} notrack`,
      '  }',
      '  chain raw-output {',
      '    type filter hook output priority raw; policy accept;',
      `    oifname ${link} ip saddr ${nodeIp} udp dport ${port} notrack`,
      '  }',
    );
  }
  if (options.masqueradeOutside) {
    lines.push(
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    ip saddr ${cluster} ip daddr != ${cluster} oifname != ${bridge} masquerade`,
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The script that removes the table whether or not it exists. */
export function overlayRulesetRemoval(): string {
  return `table inet ${OVERLAY_TABLE} {}\ndelete table inet ${OVERLAY_TABLE}\n`;
}

function ipv4(text: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) throw new Error(`"${text}" is not an IPv4 address for an nft rule`);
  return text;
}

function quote(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`interface name "${name}" cannot appear in an nft rule`);
  return `"${name}"`;
}

/** Runs `nft -f -` with `script` on stdin: one atomic transaction. Written here because no npm library drives nft. */
export function applyNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(NFT_BINARY, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), NFT_TIMEOUT_MS);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          error.code === 'ENOENT' ? 'the "nft" command was not found; install nftables (apt-get install -y nftables)' : `nft -f -: ${error.message}`,
          { cause: error },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`nft -f - failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim()}\n--- script ---\n${script}`));
    });
    child.stdin.end(script);
  });
}
