// One real cluster (etcd + control plane processes) per test file, always
// stopped afterwards, even when a test fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type SkiffClient } from '@skiff/cli';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '@skiff/testkit';
import { afterAll, beforeAll } from 'vitest';

export interface ClusterFixture {
  readonly cluster: LocalCluster;
  /** A direct gRPC client, for what ctl does not show (list revisions, raw Apply). */
  readonly api: SkiffClient;
  /** Writes `content` to a fresh file and returns its path. */
  file(name: string, content: string): string;
}

export function useCluster(options: LocalClusterOptions = {}): () => ClusterFixture {
  let fixture: ClusterFixture | undefined;
  let api: SkiffClient | undefined;
  let cluster: LocalCluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  let files = 0;

  beforeAll(async () => {
    cluster = await startLocalCluster(options);
    api = connect({ kubeconfig: cluster.adminKubeconfig });
    const started = cluster;
    const client = api;
    fixture = {
      cluster: started,
      api: client,
      file(name, content) {
        const path = join(dir, `${++files}-${name}`);
        writeFileSync(path, content);
        return path;
      },
    };
  });

  afterAll(async () => {
    api?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  return () => {
    if (!fixture) throw new Error('the cluster fixture is only available inside tests');
    return fixture;
  };
}

/** The store revision right now: unchanged revision = nothing was written. */
export async function storeRevision(api: SkiffClient): Promise<number> {
  const { resourceVersion } = await api.list({ kind: 'namespaces', namespace: '', allNamespaces: true, labelSelector: '' });
  return Number(resourceVersion);
}
