// The TLS credentials EtcdStore dials etcd with: for https endpoints, the
// cluster CA and the control plane's etcd client certificate (issued from that
// CA, pki/etcd/client.crt); none for http ones.
import { FailedPreconditionError } from '@skiff/api';
import { ensureEtcdClientCertificate, pkiPaths, readPublicFile, readSecretFile, type ClusterCa } from '../pki/index.js';
import type { EtcdTlsCredentials } from '../store/index.js';

const isHttps = (endpoints: readonly string[]): boolean => endpoints.some((endpoint) => endpoint.toLowerCase().startsWith('https://'));

/** For the control plane: issues (or reuses) its etcd client certificate from the CA. */
export async function etcdStoreTls(dataDir: string, ca: ClusterCa, endpoints: readonly string[]): Promise<EtcdTlsCredentials | undefined> {
  if (!isHttps(endpoints)) return undefined;
  const client = await ensureEtcdClientCertificate(dataDir, ca);
  return { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem };
}

/** For the subcommands (token, rotate-secrets-key): the files a control plane with this data dir has written. */
export async function readEtcdStoreTls(dataDir: string, endpoints: readonly string[]): Promise<EtcdTlsCredentials | undefined> {
  if (!isHttps(endpoints)) return undefined;
  const paths = pkiPaths(dataDir);
  const [caPem, certPem, keyPem] = [await readPublicFile(paths.caCert), await readPublicFile(paths.etcdClientCert), await readSecretFile(paths.etcdClientKey)];
  if (caPem === undefined || certPem === undefined || keyPem === undefined) {
    throw new FailedPreconditionError(
      `https etcd URLs need ${paths.caCert}, ${paths.etcdClientCert} and ${paths.etcdClientKey}, which skiff-controlplane writes at its start: run this where the control plane's --data-dir is, or start the control plane once first`,
    );
  }
  return { caPem, certPem, keyPem };
}
