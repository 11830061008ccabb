// Orphan and Foreground deletion as startControllers runs the collectors
// (garbage-collector.ts for the dependents, owner-finalizers.ts for the
// owners), over the in-memory store, writes through the API service. The
// tests bind pods to a node (as the scheduler would) so a deleted pod is
// Terminating until the test, playing its agent, removes it: that is what
// a foreground owner has to wait for.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, type Deployment, type Pod, type ReplicaSet, type ResourceObject } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import type { ApiService } from '../api/api-service.js';
import type { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { startTestControllers, type TestControllers } from '../test-controllers.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
const REPLICA_SET = kindInfo('ReplicaSet');
const CONVERGE = { timeoutMs: 10_000, intervalMs: 10 };

let running: TestControllers;
let objects: ObjectStore;
let api: ApiService;

beforeEach(async () => {
  running = await startTestControllers(new MemoryStore());
  ({ objects, api } = running);
});

afterEach(() => running.stop());

async function deploy(name: string, replicas: number): Promise<Deployment> {
  const { object } = await api.apply(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1' }] } },
      },
    }),
  );
  return object as Deployment;
}

async function listed<T extends ResourceObject>(kind: typeof POD, app: string): Promise<T[]> {
  const { items } = await objects.list<T>(kind, 'default');
  return items.filter((item) => item.metadata.labels?.['app'] === app);
}

/** Waits for `count` pods of the app, then binds each to node-a, as the scheduler would (so deleting one is graceful). */
async function boundPods(app: string, count: number): Promise<Pod[]> {
  const pods = await waitFor(async () => {
    const found = await listed<Pod>(POD, app);
    return found.length === count ? found : undefined;
  }, { ...CONVERGE, description: `${count} pods of ${app}` });
  for (const pod of pods) {
    const current = await objects.mustGet<Pod>(POD, 'default', pod.metadata.name);
    await objects.update(POD, { ...current, spec: { ...current.spec, nodeName: 'node-a' } }, Number(current.metadata.resourceVersion));
  }
  return pods;
}

const gone = (info: typeof POD, name: string) => async () => ((await objects.get(info, 'default', name)) === undefined ? true : undefined);

describe('deletion propagation', () => {
  it('Orphan: the ReplicaSet and its pods stay, without references to the deleted Deployment', async () => {
    const deployment = await deploy('kept', 2);
    const pods = await boundPods('kept', 2);
    const [rs] = await listed<ReplicaSet>(REPLICA_SET, 'kept');
    expect(rs?.metadata.ownerReferences?.[0]?.uid).toBe(deployment.metadata.uid);

    const marked = await api.delete({ kind: 'Deployment', namespace: 'default', name: 'kept' }, undefined, { propagationPolicy: 'Orphan' });
    expect(marked.metadata.finalizers).toEqual(['orphan']);
    await waitFor(gone(DEPLOYMENT, 'kept'), { ...CONVERGE, description: 'the deployment to go' });

    const orphan = await objects.mustGet<ReplicaSet>(REPLICA_SET, 'default', rs!.metadata.name);
    expect(orphan.metadata.uid).toBe(rs!.metadata.uid);
    expect(orphan.metadata.ownerReferences).toBeUndefined();
    const after = await listed<Pod>(POD, 'kept');
    expect(after.map((pod) => pod.metadata.uid).sort()).toEqual(pods.map((pod) => pod.metadata.uid).sort());
    expect(after.every((pod) => pod.metadata.deletionTimestamp === undefined && pod.metadata.ownerReferences?.[0]?.uid === rs!.metadata.uid)).toBe(true);
    // The ReplicaSet still manages its pods: one removed is replaced.
    await objects.delete(POD, 'default', after[0]!.metadata.name, Number(after[0]!.metadata.resourceVersion));
    await waitFor(async () => ((await listed<Pod>(POD, 'kept')).length === 2 ? true : undefined), { ...CONVERGE, description: 'a replacement pod' });
    expect(await objects.get(REPLICA_SET, 'default', rs!.metadata.name)).toBeDefined();
  });

  it('Foreground: the Deployment and its ReplicaSet stay, marked, until the pods are gone, then go in turn', async () => {
    await deploy('ordered', 2);
    const pods = await boundPods('ordered', 2);
    const [rs] = await listed<ReplicaSet>(REPLICA_SET, 'ordered');

    await api.delete({ kind: 'Deployment', namespace: 'default', name: 'ordered' }, undefined, { propagationPolicy: 'Foreground' });
    // The ReplicaSet is deleted in the foreground too; its pods are Terminating on their node.
    await waitFor(async () => {
      const current = await objects.get<ReplicaSet>(REPLICA_SET, 'default', rs!.metadata.name);
      return current?.metadata.finalizers?.includes('foregroundDeletion') && current.metadata.deletionTimestamp ? true : undefined;
    }, { ...CONVERGE, description: 'the replica set marked foregroundDeletion' });
    const terminating = await waitFor(async () => {
      const found = await listed<Pod>(POD, 'ordered');
      return found.length === 2 && found.every((pod) => pod.metadata.deletionTimestamp !== undefined) ? found : undefined;
    }, { ...CONVERGE, description: 'both pods terminating' });
    expect(terminating.map((pod) => pod.metadata.uid).sort()).toEqual(pods.map((pod) => pod.metadata.uid).sort());
    const owner = await objects.mustGet<Deployment>(DEPLOYMENT, 'default', 'ordered');
    expect(owner.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(owner.metadata.deletionTimestamp).toBeDefined();

    // The agent removes one pod: everything else waits for the other.
    await objects.delete(POD, 'default', terminating[0]!.metadata.name, Number(terminating[0]!.metadata.resourceVersion));
    await waitFor(async () => ((await listed<Pod>(POD, 'ordered')).length === 1 ? true : undefined), { ...CONVERGE, description: 'one pod left' });
    expect(await objects.get(REPLICA_SET, 'default', rs!.metadata.name)).toBeDefined();
    expect(await objects.get(DEPLOYMENT, 'default', 'ordered')).toBeDefined();
    // No replacement either: a ReplicaSet being deleted creates no pods.
    expect((await listed<Pod>(POD, 'ordered')).map((pod) => pod.metadata.name)).toEqual([terminating[1]!.metadata.name]);

    const last = await objects.mustGet<Pod>(POD, 'default', terminating[1]!.metadata.name);
    await objects.delete(POD, 'default', last.metadata.name, Number(last.metadata.resourceVersion));
    await waitFor(gone(REPLICA_SET, rs!.metadata.name), { ...CONVERGE, description: 'the replica set to go' });
    await waitFor(gone(DEPLOYMENT, 'ordered'), { ...CONVERGE, description: 'the deployment to go' });
  });

  it('Background: the Deployment goes at once, its ReplicaSet and pods after it', async () => {
    await deploy('swept', 1);
    await boundPods('swept', 1);
    const [rs] = await listed<ReplicaSet>(REPLICA_SET, 'swept');
    const removed = await api.delete({ kind: 'Deployment', namespace: 'default', name: 'swept' }, undefined, { propagationPolicy: 'Background' });
    expect(removed.metadata.deletionTimestamp).toBeUndefined();
    expect(await objects.get(DEPLOYMENT, 'default', 'swept')).toBeUndefined();
    await waitFor(gone(REPLICA_SET, rs!.metadata.name), { ...CONVERGE, description: 'the replica set to be collected' });
    const [pod] = await waitFor(async () => {
      const found = await listed<Pod>(POD, 'swept');
      return found.length === 1 && found[0]!.metadata.deletionTimestamp !== undefined ? found : undefined;
    }, { ...CONVERGE, description: 'the pod terminating' });
    await objects.delete(POD, 'default', pod!.metadata.name, Number(pod!.metadata.resourceVersion));
  });
});
