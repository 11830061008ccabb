// Whether this node runs the VXLAN pod overlay, and the overlay wired together:
// the vxlan device (network/vxlan-overlay.ts) driven by the controller that
// follows the cluster's Nodes (overlay-controller.ts), on top of the pod bridge.
import { isIP } from 'node:net';
import type { ApiClient } from '@skiff/api/core';
import type { Logger } from 'pino';
import { isLoopbackHost } from './host-port.js';
import type { BridgePodNetwork } from './network/bridge-pod-network.js';
import { findUnderlayLink, VxlanOverlay, type UnderlayLink } from './network/vxlan-overlay.js';
import { OverlayController } from './overlay-controller.js';

/**
 * The LAN link the overlay runs over, or undefined when this node runs none:
 * the process runtime (no pod network), --overlay none, or 'auto' on a loopback
 * address (a dev cluster, whose agents share one bridge and reach each other's pods on it).
 */
export async function overlayUnderlay(mode: 'auto' | 'vxlan' | 'none', runtime: 'runc' | 'process', host: string): Promise<UnderlayLink | undefined> {
  if (mode === 'none' || runtime !== 'runc') return undefined;
  const usable = isIP(host) === 4 && !isLoopbackHost(host) && host !== '0.0.0.0';
  if (!usable) {
    if (mode === 'auto') return undefined;
    throw new Error(`--overlay vxlan needs the node's IPv4 LAN address as the host of --listen, not "${host}"`);
  }
  return findUnderlayLink(host);
}

export interface PodOverlayOptions {
  readonly nodeName: string;
  readonly nodeIp: string;
  readonly underlay: UnderlayLink;
  readonly masqueradeOutside: boolean;
  readonly network: BridgePodNetwork;
  readonly client: () => ApiClient;
  readonly log: Logger;
}

export function createOverlayController(options: PodOverlayOptions): OverlayController {
  const { network } = options;
  const overlay = new VxlanOverlay({
    nodeName: options.nodeName,
    nodeIp: options.nodeIp,
    link: options.underlay,
    podCidr: network.podCidr,
    clusterCidr: network.clusterCidr,
    bridgeName: network.bridgeName,
    masqueradeOutside: options.masqueradeOutside,
    warn: (message) => options.log.warn(message),
  });
  // Pods come and go between resyncs: their veths join the fast path at once (overlay-fast-path.ts).
  network.onPortsChanged(() => overlay.fastPath.syncQuietly());
  return new OverlayController({
    client: options.client,
    // The bridge side first (its forwarding rule and switches, the MTU), so both are in place before any pod.
    overlay: {
      ensureHost: async () => {
        await network.ensureHost();
        await overlay.ensureHost();
      },
      apply: (peers) => overlay.apply(peers),
    },
    local: { nodeName: options.nodeName, podCidr: network.podCidr, clusterCidr: network.clusterCidr, underlayIp: options.nodeIp },
    log: options.log,
  });
}
