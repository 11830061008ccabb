// Chaos: etcd restarts under a running cluster. Invariants: /readyz says so
// while it is away, requests fail cleanly, and afterwards the same pods run the
// same containers on Ready nodes: nothing is evicted or restarted.
import type { Deployment, Node, Pod } from '@skiff/api';
import { ServerError, SkiffClient } from '@skiff/cli';
import { startLocalCluster, waitFor, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let cluster: LocalCluster;
let api: SkiffClient;

beforeAll(async () => {
  cluster = await startLocalCluster();
  // The process runtime keeps this suite about the control plane, not containers.
  for (const name of ['node-a', 'node-b']) await cluster.addAgent({ name, runtime: 'process', cpu: '8', memory: '4Gi', pods: '50' });
  api = new SkiffClient(cluster.grpcAddress);
}, 120_000);

afterAll(async () => {
  api?.close();
  await cluster?.stop();
}, 120_000);

const deployment = (name: string, replicas: number): Deployment =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'none', command: ['/bin/sleep', '3600'], resources: { requests: { cpu: '50m' } } }] },
      },
    },
  }) as Deployment;

async function listPods(selector: string): Promise<Pod[]> {
  return (await api.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: selector })).items as Pod[];
}

const running = (pod: Pod): boolean => pod.status?.phase === 'Running' && pod.status.containerStatuses?.[0]?.state.running !== undefined;

async function convergedPods(name: string, replicas: number): Promise<Pod[]> {
  return waitFor(
    async () => {
      const pods = await listPods(`app=${name}`);
      return pods.length === replicas && pods.every(running) ? pods : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, description: `${name} converged to ${replicas} running pods` },
  );
}

async function nodesReady(): Promise<boolean> {
  const { items } = await api.list({ kind: 'nodes', namespace: '', allNamespaces: true, labelSelector: '' });
  return (items as Node[]).every((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
}

describe('etcd failures', () => {
  test('invariant: the control plane and agents ride out an etcd restart — readyz says so, nothing is evicted or restarted', async () => {
    await api.apply(deployment('steady', 3), { strict: false, dryRun: false });
    const before = await convergedPods('steady', 3);

    await cluster.etcd.process.stop();
    try {
      await waitFor(
        async () => {
          const response = await fetch(`http://${cluster.httpAddress}/readyz`);
          return response.status === 503 ? await response.text() : undefined;
        },
        { timeoutMs: 10_000, description: 'readyz to report etcd away' },
      );
      const refused = await api.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ServerError);
    } finally {
      await cluster.etcd.restart();
    }
    await waitFor(async () => (await fetch(`http://${cluster.httpAddress}/readyz`)).status === 200, {
      timeoutMs: 30_000,
      description: 'readyz ok again',
    });
    // Writes work again, and the cluster settles with the same pods and containers.
    await api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-etcd' } } as never, { strict: false, dryRun: false });
    const after = await convergedPods('steady', 3);
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(before.map((p) => p.metadata.uid).sort());
    for (const pod of after) expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    await waitFor(nodesReady, { timeoutMs: 20_000, description: 'both nodes Ready' });
  }, 180_000);
});
