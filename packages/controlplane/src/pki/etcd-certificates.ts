// etcd's certificates from the cluster CA, kept in <data-dir>/pki/etcd/: the
// local member's (one certificate for both its client and its peer listener:
// server and client usage, SANs = the hosts of its URLs plus localhost and
// 127.0.0.1) and the control plane's etcd client identity. etcd checks both
// sides against the cluster CA (--client-cert-auth, --peer-client-cert-auth),
// so only holders of a CA-issued certificate reach its data. Issued again
// when the hosts change or a third of the lifetime is left.
import { sameAltNames, certificateInfo, issueCertificate, splitAltNames, type AltNames, type CertificateAuthority } from '@skiff/api/x509';
import { ensureClientLeaf } from './client-certificates.js';
import { ensureLeafFiles, type LeafFiles } from './leaf-files.js';
import { pkiPaths } from './pki-paths.js';
import { LEAF_LIFETIME_MS, renewalDue, validityFor } from './renewal.js';

export const ETCD_CLIENT_COMMON_NAME = 'system:skiff-controlplane:etcd-client';
export const ETCD_MEMBER_COMMON_NAME_PREFIX = 'system:etcd-member:';
const ALWAYS = ['localhost', '127.0.0.1'];

/** The member certificate's SANs: its hosts, then localhost and 127.0.0.1. */
export function etcdMemberAltNames(hosts: readonly string[]): AltNames {
  return splitAltNames([...hosts, ...ALWAYS], 'etcd member host');
}

/** pki/etcd/member.crt and .key: the local etcd member's serving and peer certificate. */
export async function ensureEtcdMemberCertificate(
  dataDir: string,
  ca: CertificateAuthority,
  options: { name: string; hosts: readonly string[]; now?: Date },
): Promise<LeafFiles> {
  const now = options.now ?? new Date();
  const altNames = etcdMemberAltNames(options.hosts);
  const paths = pkiPaths(dataDir);
  return ensureLeafFiles(ca, {
    certPath: paths.etcdMemberCert,
    keyPath: paths.etcdMemberKey,
    isCurrent: (certPem) => {
      const info = certificateInfo(certPem);
      return sameAltNames(info, altNames) && info.commonName === `${ETCD_MEMBER_COMMON_NAME_PREFIX}${options.name}` && !renewalDue(certPem, now);
    },
    issue: async (publicKeyPem) =>
      (
        await issueCertificate({
          ca,
          publicKeyPem,
          subject: { commonName: `${ETCD_MEMBER_COMMON_NAME_PREFIX}${options.name}` },
          ...altNames,
          // Peers dial each other with this certificate too: both usages.
          usages: ['server', 'client'],
          ...validityFor(now, LEAF_LIFETIME_MS),
        })
      ).certPem,
  });
}

/** pki/etcd/client.crt and .key: what the control plane presents to etcd. */
export async function ensureEtcdClientCertificate(dataDir: string, ca: CertificateAuthority, options: { now?: Date } = {}): Promise<LeafFiles> {
  const paths = pkiPaths(dataDir);
  return ensureClientLeaf(ca, { certPath: paths.etcdClientCert, keyPath: paths.etcdClientKey, subject: { commonName: ETCD_CLIENT_COMMON_NAME }, ...options });
}
