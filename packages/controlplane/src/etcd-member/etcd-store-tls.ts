// The TLS credentials EtcdStore dials etcd with: for https endpoints, the
// cluster CA and the control plane's etcd client certificate (issued from that
// CA, pki/etcd/client.crt); none for http ones.
import { ensureEtcdClientCertificate, type ClusterCa } from '../pki/index.js';
import type { EtcdTlsCredentials } from '../store/index.js';

export async function etcdStoreTls(dataDir: string, ca: ClusterCa, endpoints: readonly string[]): Promise<EtcdTlsCredentials | undefined> {
  if (!endpoints.some((endpoint) => endpoint.toLowerCase().startsWith('https://'))) return undefined;
  const client = await ensureEtcdClientCertificate(dataDir, ca);
  return { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem };
}
