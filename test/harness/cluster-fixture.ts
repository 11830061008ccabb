// One real cluster (etcd + control plane processes) per test file, always
// stopped afterwards, even when a test fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type SkiffClient } from '@skiff/cli';
import { LEADER_ELECTION_KEY } from '@skiff/controlplane';
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

/** What the store holds at one moment, to prove later that nothing was written since. */
export interface StoreMark {
  readonly revision: number;
  /** Keys in the store but the leader election's own. */
  readonly keys: number;
}

// etcd 3.4's JSON gateway (keys base64, int64s as strings), read straight from
// the test's etcd so the proof does not rest on the code under test.
async function etcdRange(endpoint: string, body: Record<string, unknown>): Promise<{ header: { revision: string }; kvs?: { key: string; mod_revision: string }[]; count?: string }> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const response = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64('\0'), range_end: b64('\0'), ...body }),
  });
  if (!response.ok) throw new Error(`etcd range: HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as never;
}

/** The store right now, for writesSince(). */
export async function markStore(cluster: LocalCluster): Promise<StoreMark> {
  const all = await etcdRange(cluster.etcd.endpoint, { keys_only: true });
  const keys = (all.kvs ?? []).filter((kv) => Buffer.from(kv.key, 'base64').toString() !== LEADER_ELECTION_KEY).length;
  return { revision: Number(all.header.revision), keys };
}

/**
 * Every write since `mark`, by key ("N keys deleted" for deletions): empty
 * when nothing was written. The leader election's key is left out: a leader
 * starved of CPU past its renew deadline hands over and campaigns again,
 * which moves the store revision without writing any object.
 */
export async function writesSince(cluster: LocalCluster, mark: StoreMark): Promise<string[]> {
  const changed = await etcdRange(cluster.etcd.endpoint, { keys_only: true, min_mod_revision: String(mark.revision + 1) });
  const written = (changed.kvs ?? [])
    .map((kv) => Buffer.from(kv.key, 'base64').toString())
    .filter((key) => key !== LEADER_ELECTION_KEY);
  const created = await etcdRange(cluster.etcd.endpoint, { keys_only: true, min_create_revision: String(mark.revision + 1) });
  const createdCount = (created.kvs ?? []).filter((kv) => Buffer.from(kv.key, 'base64').toString() !== LEADER_ELECTION_KEY).length;
  const now = await markStore(cluster);
  const deleted = mark.keys + createdCount - now.keys;
  return deleted > 0 ? [...written, `${deleted} keys deleted`] : written;
}
