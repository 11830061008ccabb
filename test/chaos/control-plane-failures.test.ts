// Chaos: the control plane is killed -9 ten times during a burst of applies and
// scalings. Invariants:
// - every apply that was answered is in etcd afterwards;
// - after convergence no deployment has more (or fewer) Running pods than its replicas;
// - agents reconnect and resume: no container is restarted, no node is evicted.
import type { Deployment } from '@skiff/api';
import { ServerError, SkiffClient } from '@skiff/cli';
import { waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { isRunning, sleepDeployment, useProcessCluster, type ProcessCluster } from '../harness/process-cluster.js';

const DEPLOYMENTS = ['alpha', 'beta', 'gamma'];
const fixture = useProcessCluster();
let cluster: LocalCluster;
let api: SkiffClient;
let listPods: ProcessCluster['listPods'];
let convergedPods: ProcessCluster['convergedPods'];
let nodesReady: ProcessCluster['nodesReady'];
const deployment = sleepDeployment;
const running = isRunning;

beforeAll(() => {
  ({ cluster, api, listPods, convergedPods, nodesReady } = fixture());
});

describe('control plane and etcd failures', () => {
  test('invariant: kill -9 of the control plane ×10 during a burst loses no answered apply, converges replicas exactly, restarts no container', async () => {
    for (const name of DEPLOYMENTS) await api.apply(deployment(name, 2), { strict: false, dryRun: false });
    const survivorsBefore = new Map<string, string | undefined>();
    for (const name of DEPLOYMENTS) {
      for (const pod of await convergedPods(name, 2)) survivorsBefore.set(pod.metadata.uid ?? '', pod.status?.containerStatuses?.[0]?.containerID);
    }

    const answered = new Set<string>();
    const lastScale = new Map<string, number>(DEPLOYMENTS.map((n) => [n, 2]));
    let stop = false;
    let written = 0;
    const writer = async (worker: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const name = `burst-${worker}-${i}`;
        try {
          await api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } } as never, { strict: false, dryRun: false });
          answered.add(name);
          written++;
        } catch (error) {
          // Refused while the control plane is down: not answered, so not promised.
          if (!(error instanceof ServerError)) throw error;
        }
      }
    };
    const scaler = async (): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const name = DEPLOYMENTS[i % DEPLOYMENTS.length] ?? 'alpha';
        const replicas = 2 + (i % 3); // 2..4, never below the survivors we track
        try {
          await api.scale({ kind: 'deployments', namespace: 'default', name }, replicas);
          lastScale.set(name, replicas);
        } catch (error) {
          if (!(error instanceof ServerError)) throw error;
        }
      }
    };
    // One writer and one scaler: a steady burst the 2-core CI machine sustains
    // across ten restarts (three writers starved etcd; see the closing notes).
    const load = Promise.all([writer(0), scaler()]);
    try {
      for (let kill = 1; kill <= 10; kill++) {
        const before = written;
        await waitFor(() => written >= before + 5, { timeoutMs: 60_000, description: `writes flowing before kill ${kill}` });
        await cluster.controlPlane.kill9();
        await cluster.restartControlPlane();
      }
    } finally {
      stop = true;
      await load;
    }
    await waitFor(() => api.list({ kind: 'namespaces', namespace: '', allNamespaces: true, labelSelector: '' }).then(() => true, () => false), {
      timeoutMs: 20_000,
      description: 'the restarted control plane to answer',
    });

    // Every answered apply is in etcd.
    const { items } = await api.list({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' });
    const stored = new Set(items.map((cm) => cm.metadata.name));
    const lost = [...answered].filter((name) => !stored.has(name));
    expect(lost, `answered applies missing from etcd (of ${answered.size})`).toEqual([]);
    expect(answered.size).toBeGreaterThan(30);

    // Replicas converge exactly to the last answered scale.
    for (const name of DEPLOYMENTS) {
      const replicas = lastScale.get(name) ?? 2;
      const stored = (await api.get({ kind: 'deployments', namespace: 'default', name })) as Deployment;
      expect(stored.spec.replicas, `${name} replicas`).toBe(replicas);
      const pods = await convergedPods(name, replicas);
      expect(pods.filter(running)).toHaveLength(replicas);
    }

    // Pods from before the chaos that still exist run the same container, never restarted.
    for (const name of DEPLOYMENTS) {
      for (const pod of await listPods(`app=${name}`)) {
        const before = survivorsBefore.get(pod.metadata.uid ?? '');
        if (before === undefined) continue;
        expect(pod.status?.containerStatuses?.[0]?.containerID, `${pod.metadata.name} container`).toBe(before);
        expect(pod.status?.containerStatuses?.[0]?.restartCount, `${pod.metadata.name} restarts`).toBe(0);
      }
    }
    await waitFor(nodesReady, { timeoutMs: 20_000, description: 'both nodes Ready' });
  }, 300_000);
});
