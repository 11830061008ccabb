// pki/: the control plane's certificates and keys in <data-dir>/pki — the
// cluster CA, the serving and client certificates it keeps for itself, node
// and user certificates it issues, the ServiceAccount signing key — and the
// one writer of secret files. Policy over files; it imports only @skiff/api.
export { loadOrCreateClusterCa, type ClusterCa } from './cluster-ca.js';
export { SERVING_COMMON_NAME, ensureServingCertificate, needsRenewal, servingAltNames, type ServingCertificate } from './serving-certificate.js';
export {
  ensureControlPlaneClientCertificate,
  issueAdminCertificate,
  issueNodeCertificate,
  issueUserCertificate,
  type NodeCertificate,
  type UserCertificate,
} from './client-certificates.js';
export {
  ETCD_CLIENT_COMMON_NAME,
  ETCD_MEMBER_COMMON_NAME_PREFIX,
  ensureEtcdClientCertificate,
  ensureEtcdMemberCertificate,
  etcdMemberAltNames,
} from './etcd-certificates.js';
export type { LeafFiles } from './leaf-files.js';
export { loadOrCreateServiceAccountKey } from './service-account-key.js';
export { PRIVATE_DIR_MODE, PUBLIC_FILE_MODE, SECRET_FILE_MODE, ensurePrivateDir, readPublicFile, readSecretFile, writePublicFile, writeSecretFile } from './key-files.js';
export { CA_LIFETIME_MS, DEFAULT_NODE_CERT_TTL_MS, LEAF_LIFETIME_MS, renewalDelay, renewalDue, renewalTime, validityFor } from './renewal.js';
export { pkiPaths, type PkiPaths } from './pki-paths.js';
