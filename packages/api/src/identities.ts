// The names and groups Skiff's identities carry, spelled once for every
// process: the control plane issues and checks them, the agent checks the
// control plane's, ctl shows them.

/** The user of the kubeconfig the control plane writes for its operator. */
export const ADMIN_USER = 'admin';
/** Members are allowed everything, whatever RBAC says (Kubernetes' superuser group). */
export const MASTERS_GROUP = 'system:masters';
/** Every authenticated caller is a member. */
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** Nodes are users `system:node:<name>` in group `system:nodes`. */
export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** The identity the control plane presents when it dials agents. */
export const CONTROL_PLANE_USER = 'system:skiff-controlplane';
export const CONTROL_PLANES_GROUP = 'system:controlplanes';

/** ServiceAccounts are users `system:serviceaccount:<namespace>:<name>`. */
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

/** Where the nodes' heartbeat leases live (a node may write only its own). */
export const NODE_LEASE_NAMESPACE = 'skiff-system';

/**
 * Trailing metadata of a standby control plane's UNAVAILABLE answer to a
 * leader-only call (a heartbeat): the elected leader's host:port, where the agent goes next.
 */
export const LEADER_METADATA_KEY = 'skiff-leader';
