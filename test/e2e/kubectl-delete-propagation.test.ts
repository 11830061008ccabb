// The real kubectl's `delete --cascade=orphan|foreground` against the REST
// API, on a cluster whose runc agent runs the pods: orphaning leaves the
// ReplicaSet and its pods running without a reference to the Deployment;
// foreground keeps the Deployment, marked with a deletionTimestamp and the
// foregroundDeletion finalizer, while its pods stop, and `kubectl delete`
// (which waits) returns once it is gone. Background is kubectl-workflows'.
// And DELETE of a collection (deletecollection, as client-go sends it).
import type { Deployment, Pod, ReplicaSet } from '@skiff/api';
import { waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { kubectl, restRequest, useKubectlRuncSuite } from '../harness/kubectl.js';

const { dir, fixture, ok, getJson } = useKubectlRuncSuite('skiff-kubectl-cascade-');
let cluster: LocalCluster;
let image: string;
const WAIT = { timeoutMs: 90_000, intervalMs: 250 };

beforeAll(() => {
  ({ cluster, image } = fixture());
});

/** `sh` as PID 1 ignores SIGTERM, so a deleted pod stays Terminating for its whole grace period. */
const deployment = (name: string, replicas: number, grace: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default, labels: { app: ${name} } }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: ${grace}
      containers:
        - name: main
          image: ${image}
          command: ["/bin/sh", "-c", "sleep 3600"]
`;

async function rolledOut(name: string, replicas: number): Promise<void> {
  await ok(['apply', '-f', '-'], deployment(name, replicas, name === 'fore' ? 15 : 1));
  await ok(['rollout', 'status', `deployment/${name}`, '--timeout=90s'], undefined, 100_000);
}

describe('kubectl delete --cascade', () => {
  test('orphan: the ReplicaSet and its pods keep running, with no reference to the deleted Deployment', async () => {
    await rolledOut('orphaned', 2);
    const before = await getJson<{ items: Pod[] }>(['pods', '-l', 'app=orphaned']);
    const { items: [rs] } = await getJson<{ items: ReplicaSet[] }>(['replicasets', '-l', 'app=orphaned']);
    expect(rs?.metadata.ownerReferences?.[0]?.kind).toBe('Deployment');

    // kubectl waits until the Deployment is gone (its orphan finalizer taken off).
    expect(await ok(['delete', 'deployment', 'orphaned', '--cascade=orphan', '--timeout=60s'], undefined, 70_000)).toMatch(/deployment.apps "orphaned" deleted/);
    expect((await kubectl(cluster.adminKubeconfig, dir, ['get', 'deployment', 'orphaned'])).stderr).toMatch(/NotFound/);

    const orphan = await getJson<ReplicaSet>(['replicaset', rs?.metadata.name ?? '']);
    expect(orphan.metadata.uid).toBe(rs?.metadata.uid);
    expect(orphan.metadata.ownerReferences ?? []).toEqual([]);
    expect(orphan.metadata.deletionTimestamp).toBeUndefined();
    const after = await getJson<{ items: Pod[] }>(['pods', '-l', 'app=orphaned']);
    expect(after.items.map((pod) => pod.metadata.uid).sort()).toEqual(before.items.map((pod) => pod.metadata.uid).sort());
    for (const pod of after.items) {
      expect(pod.metadata.deletionTimestamp).toBeUndefined();
      expect(pod.status?.phase).toBe('Running');
      expect(pod.metadata.ownerReferences?.map((ref) => `${ref.kind}/${ref.name}`)).toEqual([`ReplicaSet/${rs?.metadata.name}`]);
    }
    // The orphaned ReplicaSet still does its job: a deleted pod is replaced.
    await ok(['delete', 'pod', after.items[0]?.metadata.name ?? '', '--wait=false']);
    await waitFor(
      async () => {
        const { items } = await getJson<{ items: Pod[] }>(['pods', '-l', 'app=orphaned']);
        const live = items.filter((pod) => pod.metadata.deletionTimestamp === undefined && pod.status?.phase === 'Running');
        return live.length === 2 && live.some((pod) => !before.items.some((old) => old.metadata.uid === pod.metadata.uid)) ? true : undefined;
      },
      { ...WAIT, description: 'a replacement pod from the orphaned ReplicaSet' },
    );
    await ok(['delete', 'replicaset', rs?.metadata.name ?? '', '--timeout=60s'], undefined, 70_000);
  }, 240_000);

  test('foreground: the Deployment stays, marked, while its pods stop; kubectl delete returns once it is gone', async () => {
    await rolledOut('fore', 2);
    const { items: [rs] } = await getJson<{ items: ReplicaSet[] }>(['replicasets', '-l', 'app=fore']);
    // kubectl delete waits for the Deployment to be gone: run it alongside.
    const deleting = kubectl(cluster.adminKubeconfig, dir, ['delete', 'deployment', 'fore', '--cascade=foreground', '--timeout=90s'], { timeoutMs: 100_000 });
    // The pods are Terminating (their containers ignore SIGTERM for the 15 s grace period) while the owners stay, marked.
    const marked = await waitFor(
      async () => {
        const pods = await getJson<{ items: Pod[] }>(['pods', '-l', 'app=fore']);
        if (pods.items.length !== 2 || pods.items.some((pod) => pod.metadata.deletionTimestamp === undefined)) return undefined;
        const owner = await getJson<Deployment>(['deployment', 'fore']);
        const replicaSet = await getJson<ReplicaSet>(['replicaset', rs?.metadata.name ?? '']);
        return { owner, replicaSet };
      },
      { ...WAIT, description: 'the pods of fore terminating' },
    );
    expect(marked.owner.metadata.deletionTimestamp).toBeDefined();
    expect(marked.owner.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(marked.replicaSet.metadata.deletionTimestamp).toBeDefined();
    expect(marked.replicaSet.metadata.finalizers).toEqual(['foregroundDeletion']);

    const result = await deleting;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/deployment.apps "fore" deleted/);
    // Foreground's promise: the owner went last, so nothing it owned is left.
    expect((await kubectl(cluster.adminKubeconfig, dir, ['get', 'deployment', 'fore'])).stderr).toMatch(/NotFound/);
    expect(await ok(['get', 'replicasets,pods', '-l', 'app=fore', '-o', 'name'])).toBe('');
  }, 240_000);

  test('DELETE of a collection deletes what its selectors pick, with its DeleteOptions; namespaces are refused', async () => {
    const made = [['c1', 'a'], ['c2', 'a'], ['c3', 'a'], ['d1', 'b']] as const;
    const manifests = [
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: sweep-many }\n',
      ...made.map(([name, group]) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: sweep-many, labels: { group: ${group} } }\n`),
    ];
    await ok(['apply', '-f', '-'], manifests.join('---\n'));
    const discovery = JSON.parse((await restRequest(cluster, 'GET', '/api/v1')).text) as { resources: { name: string; verbs: string[] }[] };
    expect(discovery.resources.find((r) => r.name === 'configmaps')?.verbs).toContain('deletecollection');
    // DeleteOptions in the query, as curl would send them.
    const answer = await restRequest(cluster, 'DELETE', '/api/v1/namespaces/sweep-many/configmaps?labelSelector=group%3Da&fieldSelector=metadata.name%21%3Dc3&propagationPolicy=Background');
    expect({ status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({ status: 200, text: '' });
    const list = JSON.parse(answer.text) as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe('ConfigMapList');
    expect(list.items.map((item) => item.metadata.name).sort()).toEqual(['c1', 'c2']);
    expect((await ok(['get', 'configmaps', '-n', 'sweep-many', '-l', 'group', '-o', 'name'])).split('\n').filter(Boolean).sort()).toEqual(['configmap/c3', 'configmap/d1']);
    expect((await restRequest(cluster, 'DELETE', '/api/v1/namespaces')).status).toBe(405);
    await ok(['delete', 'namespace', 'sweep-many', '--timeout=60s'], undefined, 70_000);
  }, 120_000);
});
