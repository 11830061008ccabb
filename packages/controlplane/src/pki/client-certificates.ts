// Client identities the cluster CA vouches for: users (CN = user name, one O
// per group), the control plane itself when it dials agents, and nodes, whose
// certificates are issued from the CSR an agent sends when it joins or renews.
// A node certificate is also the agent's serving certificate (the control
// plane dials agents back), hence its SANs and both usages.
import {
  ADMIN_USER,
  CONTROL_PLANE_USER,
  CONTROL_PLANES_GROUP,
  InvalidError,
  MASTERS_GROUP,
  NODE_USER_PREFIX,
  NODES_GROUP,
  isDns1123Subdomain,
} from '@skiff/api';
import {
  generateKeyPair,
  issueCertificate,
  splitAltNames,
  type CertificateAuthority,
  type CertificateSubject,
  type IssuedCertificate,
} from '@skiff/api/x509';
import { ensureLeafFiles, type LeafFiles } from './leaf-files.js';
import { pkiPaths } from './pki-paths.js';
import { LEAF_LIFETIME_MS, renewalDue, validityFor } from './renewal.js';

export interface UserCertificate {
  certPem: string;
  keyPem: string;
  serialHex: string;
  notAfter: Date;
}

export interface NodeCertificate {
  certPem: string;
  serialHex: string;
  notAfter: Date;
}

/** A client certificate and fresh key for a user (default lifetime 1 year). */
export async function issueUserCertificate(
  ca: CertificateAuthority,
  options: { userName: string; groups?: readonly string[]; ttlMs?: number; now?: Date },
): Promise<UserCertificate> {
  const keys = await generateKeyPair();
  const issued = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    subject: { commonName: options.userName, organizations: options.groups ?? [] },
    usages: ['client'],
    ...validityFor(options.now ?? new Date(), positiveTtl(options.ttlMs ?? LEAF_LIFETIME_MS)),
  });
  return { certPem: issued.certPem, keyPem: keys.privateKeyPem, serialHex: issued.serialHex, notAfter: issued.notAfter };
}

/** The admin identity: user `admin` in group `system:masters`. */
export function issueAdminCertificate(ca: CertificateAuthority, options: { ttlMs?: number; now?: Date } = {}): Promise<UserCertificate> {
  return issueUserCertificate(ca, { ...options, userName: ADMIN_USER, groups: [MASTERS_GROUP] });
}

/** pki/controlplane-client.crt and .key: `system:skiff-controlplane`, the identity agents accept. */
export async function ensureControlPlaneClientCertificate(dataDir: string, ca: CertificateAuthority, options: { now?: Date } = {}): Promise<LeafFiles> {
  const paths = pkiPaths(dataDir);
  return ensureClientLeaf(ca, {
    certPath: paths.controlPlaneClientCert,
    keyPath: paths.controlPlaneClientKey,
    subject: { commonName: CONTROL_PLANE_USER, organizations: [CONTROL_PLANES_GROUP] },
    ...options,
  });
}

/** A client-only identity the control plane keeps for itself in these files, renewed when due. */
export async function ensureClientLeaf(
  ca: CertificateAuthority,
  options: { certPath: string; keyPath: string; subject: CertificateSubject; now?: Date },
): Promise<LeafFiles> {
  const now = options.now ?? new Date();
  return ensureLeafFiles(ca, {
    certPath: options.certPath,
    keyPath: options.keyPath,
    isCurrent: (certPem) => !renewalDue(certPem, now),
    issue: async (publicKeyPem) =>
      (await issueCertificate({ ca, publicKeyPem, subject: options.subject, usages: ['client'], ...validityFor(now, LEAF_LIFETIME_MS) })).certPem,
  });
}

/**
 * A node's certificate for the key of its CSR (signature verified; the
 * subject it asks for is ignored): CN `system:node:<name>`, O `system:nodes`,
 * client and server usage, SANs = the addresses the control plane dials it at.
 */
export async function issueNodeCertificate(
  ca: CertificateAuthority,
  options: { nodeName: string; csrPem: string; addresses: readonly string[]; ttlMs: number; now?: Date },
): Promise<NodeCertificate> {
  if (!isDns1123Subdomain(options.nodeName)) {
    throw new InvalidError(`node name ${JSON.stringify(options.nodeName.slice(0, 80))}: must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)`);
  }
  const altNames = splitAltNames(options.addresses, 'node address');
  if (altNames.dnsNames.length + altNames.ipAddresses.length === 0) {
    throw new InvalidError('node addresses: none given; the agent must report at least one address (--address) the control plane can reach it at');
  }
  const issued: IssuedCertificate = await issueCertificate({
    ca,
    csrPem: options.csrPem,
    subject: { commonName: `${NODE_USER_PREFIX}${options.nodeName}`, organizations: [NODES_GROUP] },
    ...altNames,
    usages: ['client', 'server'],
    ...validityFor(options.now ?? new Date(), positiveTtl(options.ttlMs)),
  });
  return { certPem: issued.certPem, serialHex: issued.serialHex, notAfter: issued.notAfter };
}

function positiveTtl(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new InvalidError(`certificate lifetime: must be a positive whole number of milliseconds, not ${ttlMs}`);
  return ttlMs;
}
