// A test's own API client with the cluster admin's credentials, read from the
// admin kubeconfig the control plane wrote (the same file ctl is given).
import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { clusterServers, createApiClient, parseKubeconfig, type ApiClient } from '@skiff/api';

export interface AdminCredentials {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** host:port of the context's server. */
  readonly address: string;
}

export function readAdminCredentials(kubeconfigPath: string): AdminCredentials {
  const config = parseKubeconfig(readFileSync(kubeconfigPath, 'utf8'), kubeconfigPath);
  const context = config.contexts.find((c) => c.name === config['current-context'])?.context;
  const cluster = config.clusters.find((c) => c.name === context?.cluster)?.cluster;
  const user = config.users.find((u) => u.name === context?.user)?.user;
  const data = (value: string | undefined, what: string): string => {
    if (!value) throw new Error(`${kubeconfigPath}: the current context has no ${what}`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  if (!cluster) throw new Error(`${kubeconfigPath}: the current context names no cluster`);
  return {
    caPem: data(cluster['certificate-authority-data'], 'certificate-authority-data'),
    certPem: data(user?.['client-certificate-data'], 'client-certificate-data'),
    keyPem: data(user?.['client-key-data'], 'client-key-data'),
    // The first gRPC server: `server` itself is the REST API's when the kubeconfig lists gRPC servers in its extension.
    address: (clusterServers(cluster)[0] ?? cluster.server).replace(/^https:\/\//, ''),
  };
}

/** Mutual TLS as the admin, for raw grpc-js clients. */
export function adminChannelCredentials(kubeconfigPath: string): ChannelCredentials {
  const admin = readAdminCredentials(kubeconfigPath);
  return credentials.createSsl(Buffer.from(admin.caPem), Buffer.from(admin.keyPem), Buffer.from(admin.certPem));
}

/** An Api client over mutual TLS as the admin; `address` overrides the kubeconfig's server. */
export function adminApiClient(kubeconfigPath: string, address?: string, options: ChannelOptions = {}): ApiClient {
  return createApiClient(address ?? readAdminCredentials(kubeconfigPath).address, options, adminChannelCredentials(kubeconfigPath));
}
