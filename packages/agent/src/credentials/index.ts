// The node's credentials: joining with a token (the CA pinned by its hash),
// keeping key and certificate in the state dir, renewing them, and the TLS
// of the agent's own server, which answers the control plane only.
export { agentServerCredentials, CONTROL_PLANE_IDENTITY, refusalOf, requireControlPlane } from './agent-server-security.js';
export { CertificateRenewer, SYSTEM_CLOCK, type CertificateRenewerOptions, type Clock } from './certificate-renewer.js';
export { joinCluster, NODE_GROUP, type JoinOptions } from './join.js';
export {
  checkNodeCredentials,
  loadNodeCredentials,
  nodeIdentity,
  pkiDir,
  removeNodeCredentials,
  saveNodeCredentials,
  type NodeCredentials,
} from './node-credentials.js';
export { enrollNode, type EnrollmentOptions } from './node-enrollment.js';
export { fetchPinnedCa } from './pinned-ca.js';
