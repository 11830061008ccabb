// Disaster recovery: `skiff-controlplane snapshot save` from a running
// cluster, `snapshot restore` into a fresh etcd data dir, and a control plane
// started on it (with the same control-plane data dir, whose key decrypts the
// Secrets) serves every object back.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROLPLANE_MAIN, freePort, runCommand, startLocalCluster, waitFor, type LocalCluster } from '@skiff/testkit';
import { afterAll, describe, expect, test } from 'vitest';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: shop }
data: { colour: teal }
---
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: shop }
stringData: { password: hunter2 }
---
apiVersion: v1
kind: Service
metadata: { name: cart, namespace: shop }
spec:
  selector: { app: cart }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: cart, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: cart } }
  template:
    metadata: { labels: { app: cart } }
    spec: { containers: [{ name: cart, image: busybox, command: [sleep, "3600"] }] }
`;

const KINDS = ['configmaps', 'secrets', 'services', 'deployments', 'replicasets', 'pods'];

/** `ctl get KIND -n shop -o name` for every kind, one line per object. */
async function objectNames(cluster: LocalCluster): Promise<string[]> {
  const names: string[] = [];
  for (const kind of KINDS) {
    const listed = await cluster.ctl(['get', kind, '-n', 'shop', '-o', 'name']);
    if (listed.code !== 0) throw new Error(`ctl get ${kind}: ${listed.stderr}`);
    names.push(...listed.stdout.split('\n').filter(Boolean));
  }
  return names;
}

const snapshotCommand = (args: readonly string[]) => runCommand(process.execPath, [CONTROLPLANE_MAIN, 'snapshot', ...args], { timeoutMs: 60_000 });

describe('snapshot save and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-snapshot-'));
  const controlPlaneDataDir = join(dir, 'controlplane');
  const restoredEtcd = join(dir, 'etcd-restored');
  const clusters: LocalCluster[] = [];
  afterAll(async () => {
    for (const cluster of clusters) await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a cluster restored from a snapshot into a fresh etcd serves every object back', async () => {
    mkdirSync(controlPlaneDataDir, { mode: 0o700 });
    const original = await startLocalCluster({ controlPlaneDataDir });
    clusters.push(original);
    const manifest = join(dir, 'shop.yaml');
    writeFileSync(manifest, MANIFEST);
    expect(await original.ctl(['apply', '-f', manifest])).toMatchObject({ code: 0 });
    // The Deployment's ReplicaSet and its two (pending: there are no nodes) pods are objects too.
    const before = await waitFor(async () => {
      const names = await objectNames(original);
      return names.filter((name) => name.startsWith('pod/')).length === 2 ? names : undefined;
    }, { timeoutMs: 30_000, description: 'the Deployment to have its ReplicaSet and pods' });
    expect(before.length).toBe(7);

    const file = join(dir, 'backup.db');
    const saved = await snapshotCommand(['save', file, '--etcd', original.etcd.endpoint]);
    expect(saved).toMatchObject({ code: 0 });
    const content = readFileSync(file);
    const sha = createHash('sha256').update(content).digest('hex');
    expect(saved.stdout).toMatch(new RegExp(`^saved ${file}: ${content.length} bytes, sha256 ${sha}, revision \\d+ `));
    await original.stop();

    const peerPort = await freePort();
    const peer = `http://127.0.0.1:${peerPort}`;
    const restore = ['restore', file, '--etcd-data-dir', restoredEtcd, '--name', 'n1', '--initial-cluster', `n1=${peer}`, '--initial-advertise-peer-urls', peer];
    expect(await snapshotCommand(restore)).toMatchObject({ code: 0 });
    // A second restore into the now populated dir is refused, touching nothing.
    const again = await snapshotCommand(restore);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--etcd-data-dir .* is not empty \(member\): restore only into a fresh directory/);

    // On the original's address: the data dir's admin kubeconfig names it.
    const restored = await startLocalCluster({ dataDir: restoredEtcd, etcdPeerPort: peerPort, controlPlaneDataDir, grpcAddress: original.grpcAddress });
    clusters.push(restored);
    expect(await objectNames(restored)).toEqual(before);
    const secret = JSON.parse((await restored.ctl(['get', 'secret', 'db', '-n', 'shop', '-o', 'json'])).stdout) as { data: Record<string, string> };
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    const config = JSON.parse((await restored.ctl(['get', 'configmap', 'settings', '-n', 'shop', '-o', 'json'])).stdout) as { data: Record<string, string> };
    expect(config.data).toEqual({ colour: 'teal' });
    // And the restored cluster takes writes.
    writeFileSync(manifest, MANIFEST.replace('colour: teal', 'colour: red'));
    expect(await restored.ctl(['apply', '-f', manifest])).toMatchObject({ code: 0 });
  });

  test('restore refuses a missing snapshot and a missing data dir flag with clear errors', async () => {
    const missing = await snapshotCommand(['restore', join(dir, 'nope.db'), '--etcd-data-dir', join(dir, 'x')]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot read snapshot .*nope\.db/) });
    const noDir = await snapshotCommand(['restore', join(dir, 'nope.db')]);
    expect(noDir).toMatchObject({ code: 2, stderr: expect.stringContaining('--etcd-data-dir DIR is required') });
  });
});
