// A cluster whose two agents use the process runtime, for suites about the
// control plane rather than containers, with the queries they share.
import type { Deployment, Node, Pod } from '@skiff/api';
import { connect, type SkiffClient } from '@skiff/cli';
import { startLocalCluster, waitFor, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll } from 'vitest';

export interface ProcessCluster {
  readonly cluster: LocalCluster;
  readonly api: SkiffClient;
  listPods(selector: string): Promise<Pod[]>;
  /** Waits until `name` has exactly `replicas` pods, all running. */
  convergedPods(name: string, replicas: number): Promise<Pod[]>;
  nodesReady(): Promise<boolean>;
}

export function useProcessCluster(): () => ProcessCluster {
  let fixture: ProcessCluster | undefined;
  let cluster: LocalCluster | undefined;
  let api: SkiffClient | undefined;

  beforeAll(async () => {
    cluster = await startLocalCluster();
    for (const name of ['node-a', 'node-b']) await cluster.addAgent({ name, runtime: 'process', cpu: '8', memory: '4Gi', pods: '50' });
    const client = connect({ kubeconfig: cluster.adminKubeconfig });
    api = client;
    const listPods = async (selector: string): Promise<Pod[]> =>
      (await client.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: selector })).items as Pod[];
    fixture = {
      cluster,
      api: client,
      listPods,
      convergedPods: (name, replicas) =>
        waitFor(
          async () => {
            const pods = await listPods(`app=${name}`);
            return pods.length === replicas && pods.every(isRunning) ? pods : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 200, description: `${name} converged to ${replicas} running pods` },
        ),
      nodesReady: async () => {
        const { items } = await client.list({ kind: 'nodes', namespace: '', allNamespaces: true, labelSelector: '' });
        return (items as Node[]).every((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
      },
    };
  }, 120_000);

  afterAll(async () => {
    api?.close();
    await cluster?.stop();
  }, 120_000);

  return () => {
    if (!fixture) throw new Error('the process cluster is only available inside tests');
    return fixture;
  };
}

export const isRunning = (pod: Pod): boolean =>
  pod.status?.phase === 'Running' && pod.status.containerStatuses?.[0]?.state.running !== undefined;

/** A deployment of `sleep` pods (the process runtime ignores the image). */
export function sleepDeployment(name: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: 'none', command: ['/bin/sleep', '3600'], resources: { requests: { cpu: '50m' } } }],
        },
      },
    },
  };
}
