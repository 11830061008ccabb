// The Node object an agent registers: its labels and registration taints, what
// it offers (capacity, allocatable), where the control plane reaches it, and
// the VTEP its overlay peers need (overlay-peers.ts; the registrar replaces
// those annotations at every registration).
import { VTEP_ADDRESS_ANNOTATION, VTEP_MAC_ANNOTATION, type Node } from '@skiff/api/core';
import type { AgentConfig } from './agent-config.js';
import type { NodeResources } from './node-resources.js';
import { vxlanMacAddress, type UnderlayLink } from './network/vxlan-overlay.js';

export const AGENT_VERSION = '0.1.0';

export function nodeObject(
  config: Pick<AgentConfig, 'nodeName' | 'labels' | 'taints' | 'runtime'>,
  agentAddress: string,
  host: string,
  underlay: UnderlayLink | undefined,
  { capacity, allocatable }: NodeResources,
): Node {
  const vtep = underlay ? { annotations: { [VTEP_ADDRESS_ANNOTATION]: host, [VTEP_MAC_ANNOTATION]: vxlanMacAddress(config.nodeName) } } : {};
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: config.nodeName, labels: { ...config.labels }, ...vtep },
    spec: config.taints.length > 0 ? { taints: [...config.taints] } : {},
    status: {
      capacity: { ...capacity },
      allocatable: { ...allocatable },
      addresses: [{ type: 'InternalIP', address: host }],
      daemonEndpoints: { agentEndpoint: { address: agentAddress } },
      nodeInfo: { runtime: config.runtime, agentVersion: AGENT_VERSION, operatingSystem: process.platform, architecture: process.arch },
    },
  };
}
