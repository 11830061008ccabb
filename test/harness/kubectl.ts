// The real kubectl against a test cluster's REST API, with the admin's
// credentials (or a bearer token) in a kubeconfig of its own.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKubeconfig, serializeKubeconfig, type Kubeconfig } from '@skiff/api';
import { runCommand, type CommandResult, type LocalCluster } from '@skiff/testkit';

export const KUBECTL = '/usr/bin/kubectl';

/** A kubeconfig for kubectl: the admin's, with `server` the REST address (and a token user instead, when given). */
export function kubectlConfig(cluster: LocalCluster, dir: string, token?: string): string {
  const admin = parseKubeconfig(readFileSync(cluster.adminKubeconfig, 'utf8'), cluster.adminKubeconfig);
  const config: Kubeconfig = {
    ...admin,
    clusters: admin.clusters.map((named) => ({ ...named, cluster: { ...named.cluster, server: `https://${cluster.restAddress}` } })),
    users: token === undefined ? admin.users : admin.users.map((named) => ({ ...named, user: { token } })),
  };
  const path = join(dir, token === undefined ? 'kubectl-admin.kubeconfig' : 'kubectl-token.kubeconfig');
  writeFileSync(path, serializeKubeconfig(config), { mode: 0o600 });
  return path;
}

export function kubectl(kubeconfig: string, args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand(KUBECTL, args, {
    env: { KUBECONFIG: kubeconfig, HOME: join(kubeconfig, '..'), KUBECACHEDIR: join(kubeconfig, '..', 'kube-cache') },
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
  });
}
