// Chaos: etcd restarts under a running cluster. Invariants: /readyz says so
// while it is away, requests fail cleanly, and afterwards the same pods run the
// same containers on Ready nodes: nothing is evicted or restarted.
import { ServerError, SkiffClient } from '@skiff/cli';
import { waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { sleepDeployment, useProcessCluster, type ProcessCluster } from '../harness/process-cluster.js';

const fixture = useProcessCluster();
let cluster: LocalCluster;
let api: SkiffClient;
let convergedPods: ProcessCluster['convergedPods'];
let nodesReady: ProcessCluster['nodesReady'];
const deployment = sleepDeployment;

beforeAll(() => {
  ({ cluster, api, convergedPods, nodesReady } = fixture());
});

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
