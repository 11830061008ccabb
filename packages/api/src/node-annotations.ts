// Annotations an agent reports on its own Node at every registration, and the
// registrar replaces wholesale from that report (a key the agent no longer
// sends is removed): the agent, not a user, owns them.

/** The node's VXLAN tunnel endpoint on the underlay: the IPv4 address its peers send encapsulated pod traffic to. */
export const VTEP_ADDRESS_ANNOTATION = 'skiff.io/vtep-address';
/** The MAC address of the node's VXLAN device: its peers' neighbour and FDB entries point at it. */
export const VTEP_MAC_ANNOTATION = 'skiff.io/vtep-mac';

export const AGENT_OWNED_NODE_ANNOTATIONS: readonly string[] = [VTEP_ADDRESS_ANNOTATION, VTEP_MAC_ANNOTATION];
