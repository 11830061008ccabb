// Chaos: kill -9 of one etcd member of three (the raft leader, the hardest
// case) under a burst of applies through a control plane that dials all three
// over mutual TLS. Invariants: every apply is answered OK (the client retries
// only what the API marks UNAVAILABLE, as ctl does), nothing answered is lost,
// and the member that comes back catches up.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { ResourceObject } from '@skiff/api';
import { connect, ServerError, type SkiffClient } from '@skiff/cli';
import { httpsGet, startControlPlane, startEtcdCluster, waitFor, type EtcdCluster, type EtcdClusterMember, type StartedControlPlane } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let etcd: EtcdCluster | undefined;
let dataDir: string | undefined;
let controlPlane: StartedControlPlane | undefined;
let api: SkiffClient | undefined;

beforeAll(async () => {
  etcd = await startEtcdCluster();
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-kill-'));
  // The manual certificate distribution of HA mode: the etcd cluster's CA becomes the control plane's.
  await mkdir(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
  await writeFile(join(dataDir, 'pki', 'ca.crt'), etcd.ca.certPem);
  await writeFile(join(dataDir, 'pki', 'ca.key'), etcd.ca.keyPem, { mode: 0o600 });
  controlPlane = await startControlPlane(etcd.endpoints.join(','), dataDir, { controlPlaneArgs: ['--pod-network', '10.250.0.0/16'] });
  api = connect({ kubeconfig: controlPlane.adminKubeconfig });
}, 90_000);

afterAll(async () => {
  api?.close();
  await controlPlane?.controlPlane.stop();
  await etcd?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

async function leaderOf(cluster: EtcdCluster): Promise<EtcdClusterMember> {
  return waitFor(
    async () => {
      for (const member of cluster.members) {
        const metrics = await httpsGet(`${member.clientUrl}/metrics`, cluster.clientTls).catch(() => '');
        if (/^etcd_server_is_leader 1$/m.test(metrics)) return member;
      }
      return undefined;
    },
    { timeoutMs: 20_000, description: 'an etcd leader' },
  );
}

const configMap = (i: number): ResourceObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}`, namespace: 'default' }, data: { n: String(i) } }) as unknown as ResourceObject;

describe('etcd member failure', () => {
  test('invariant: kill -9 of the etcd leader under a burst of applies — every apply answered OK after at most retries, nothing lost', async () => {
    const client = api!;
    const cluster = etcd!;
    const victim = await leaderOf(cluster);
    const total = 240;
    const concurrency = 12;
    let next = 0;
    let answered = 0;
    let retries = 0;
    const failures: string[] = [];
    let slowestMs = 0;
    const applyOne = async (i: number): Promise<void> => {
      const started = Date.now();
      const deadline = started + 30_000;
      for (;;) {
        try {
          await client.apply(configMap(i), { strict: false, dryRun: false });
          answered++;
          slowestMs = Math.max(slowestMs, Date.now() - started);
          return;
        } catch (error) {
          // UNAVAILABLE is the only answer a client may retry; anything else is a failure of the invariant.
          if (error instanceof ServerError && error.code === status.UNAVAILABLE && Date.now() < deadline) {
            retries++;
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          failures.push(`burst-${i}: ${(error as Error).message}`);
          return;
        }
      }
    };
    const worker = async (): Promise<void> => {
      while (next < total) await applyOne(next++);
    };
    const workers = Array.from({ length: concurrency }, worker);
    await waitFor(() => answered >= total / 4, { timeoutMs: 60_000, description: 'a quarter of the burst answered' });
    await victim.process.kill9();
    const killedAt = answered;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(answered).toBe(total);
    expect(killedAt).toBeLessThan(total); // the kill landed inside the burst
    // Nothing lost: every object is there with its data, read back through the API (now on two members).
    const { items } = await client.list({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' });
    const burst = items.filter((item) => item.metadata.name.startsWith('burst-')) as unknown as { metadata: { name: string }; data: { n: string } }[];
    expect(burst.map((item) => item.metadata.name).sort()).toEqual(Array.from({ length: total }, (_, i) => `burst-${i}`).sort());
    for (const item of burst) expect(item.metadata.name).toBe(`burst-${item.data.n}`);
    // The member comes back and rejoins: all three healthy again.
    await victim.restart();
    await waitFor(async () => ((await Promise.all(cluster.members.map((m) => cluster.health(m)))).every((h) => h === 'true') ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the killed member healthy again',
    });
    process.stdout.write(`etcd-member-kill: ${total} applies, ${killedAt} answered before the kill, ${retries} client retries, slowest apply ${slowestMs} ms\n`);
  }, 180_000);
});
