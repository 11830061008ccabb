// The real kubectl against a test cluster's REST API: with the admin
// kubeconfig as the control plane wrote it, or with a bearer token instead.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKubeconfig, serializeKubeconfig, type Kubeconfig } from '@skiff/api';
import { request as httpsRequest } from 'node:https';
import { readAdminCredentials, runCommand, type CommandResult, type LocalCluster } from '@skiff/testkit';
import { afterAll, expect } from 'vitest';
import { useRuncCluster } from './runc-cluster.js';

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

export interface RestAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * One request to the REST API as the admin (client certificate), the whole
 * answer read; a watch ends when the server ends it or after `untilMs`.
 */
export function restRequest(
  cluster: LocalCluster,
  method: string,
  path: string,
  options: { body?: string; contentType?: string; accept?: string; untilMs?: number } = {},
): Promise<RestAnswer> {
  const admin = readAdminCredentials(cluster.adminKubeconfig);
  const [host = '', port = ''] = [cluster.restAddress.slice(0, cluster.restAddress.lastIndexOf(':')), cluster.restAddress.slice(cluster.restAddress.lastIndexOf(':') + 1)];
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host,
        port: Number(port),
        method,
        path,
        ca: admin.caPem,
        cert: admin.certPem,
        key: admin.keyPem,
        headers: {
          ...(options.contentType ? { 'content-type': options.contentType } : {}),
          // Node sends a DELETE's body neither chunked nor sized unless told: the server then reads it as a next request.
          ...(options.body !== undefined ? { 'content-length': Buffer.byteLength(options.body) } : {}),
          ...(options.accept ? { accept: options.accept } : {}),
        },
      },
      (response) => {
        let text = '';
        const done = (): void => resolve({ status: response.statusCode ?? 0, text });
        const timer = options.untilMs === undefined ? undefined : setTimeout(() => (request.destroy(), done()), options.untilMs);
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => (clearTimeout(timer), done()));
      },
    );
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    request.end(options.body);
  });
}

/** A one-agent runc cluster for a kubectl suite, its scratch dir (kubectl's HOME) and the calls every such suite makes. */
export function useKubectlRuncSuite(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const fixture = useRuncCluster([{ name: 'node-a', cpu: '4', memory: '4Gi', pods: '20' }]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** kubectl as the admin; its stdout, after checking it exited 0. */
  const ok = async (args: string[], stdin?: string, timeoutMs = 60_000): Promise<string> => {
    const result = await kubectl(fixture().cluster.adminKubeconfig, dir, args, { timeoutMs, ...(stdin === undefined ? {} : { stdin }) });
    expect(result.code, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** `kubectl get ARGS -o json`, parsed. */
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await ok(['get', ...args, '-o', 'json'])) as T;
  return { dir, fixture, ok, getJson };
}
