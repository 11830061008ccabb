// The real kubectl against a test cluster's REST API: with the admin
// kubeconfig as the control plane wrote it, or with a bearer token instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKubeconfig, serializeKubeconfig, type Kubeconfig } from '@skiff/api';
import { runCommand, type CommandResult, type LocalCluster } from '@skiff/testkit';

export const KUBECTL = '/usr/bin/kubectl';

/** The admin kubeconfig with a bearer token as its user instead of the admin's certificate. */
export function tokenKubeconfig(cluster: LocalCluster, dir: string, token: string): string {
  const admin = parseKubeconfig(readFileSync(cluster.adminKubeconfig, 'utf8'), cluster.adminKubeconfig);
  const config: Kubeconfig = { ...admin, users: admin.users.map((named) => ({ ...named, user: { token } })) };
  const path = join(dir, `token-${Date.now()}.kubeconfig`);
  writeFileSync(path, serializeKubeconfig(config), { mode: 0o600 });
  return path;
}

/** kubectl with this kubeconfig, a HOME and discovery cache of its own (beside `dir`). */
export function kubectl(kubeconfig: string, dir: string, args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand(KUBECTL, args, {
    env: { KUBECONFIG: kubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'kube-cache') },
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
  });
}
