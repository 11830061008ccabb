// Where the control plane keeps its PKI: `<data-dir>/pki/` (see the README's
// control-plane data dir section).
import { join } from 'node:path';

export interface PkiPaths {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  controlPlaneClientCert: string;
  controlPlaneClientKey: string;
  serviceAccountKey: string;
  /** pki/etcd/: the local etcd member's certificate and the control plane's etcd client identity. */
  etcdDir: string;
  etcdMemberCert: string;
  etcdMemberKey: string;
  etcdClientCert: string;
  etcdClientKey: string;
}

export function pkiPaths(dataDir: string): PkiPaths {
  const dir = join(dataDir, 'pki');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    controlPlaneClientCert: join(dir, 'controlplane-client.crt'),
    controlPlaneClientKey: join(dir, 'controlplane-client.key'),
    serviceAccountKey: join(dir, 'service-account.key'),
    etcdDir: join(dir, 'etcd'),
    etcdMemberCert: join(dir, 'etcd', 'member.crt'),
    etcdMemberKey: join(dir, 'etcd', 'member.key'),
    etcdClientCert: join(dir, 'etcd', 'client.crt'),
    etcdClientKey: join(dir, 'etcd', 'client.key'),
  };
}
