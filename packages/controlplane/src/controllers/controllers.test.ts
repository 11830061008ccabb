// The deployment controller and the garbage collector together, as the
// control plane runs them (startControllers), against a real etcd; objects are
// written through the API service, as `ctl apply/scale/delete` would.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, type Deployment, type Pod } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { InformerFactory } from '../cache/index.js';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import type { WatchHandle } from '../store/store.js';
import { POD_TEMPLATE_HASH_LABEL } from './deployment-pods.js';
import { startControllers, type RunningControllers } from './index.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
const CONVERGE = { timeoutMs: 20_000, intervalMs: 25 };

let etcd: EtcdServer;
let store: EtcdStore;
let objects: ObjectStore;
let api: ApiService;
let informers: InformerFactory;
let controllers: RunningControllers;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  objects = new ObjectStore(store);
  api = new ApiService(objects);
  await api.ensureBuiltinNamespaces();
  informers = new InformerFactory({ objects });
  controllers = startControllers({ objects, informers });
  informers.start();
  await informers.waitForSync();
});

afterAll(async () => {
  await controllers?.stop();
  await informers?.stop();
  await store?.close();
  await etcd?.stop();
});

function manifest(name: string, replicas: number, image = 'busybox:1'): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' } },
        spec: { containers: [{ name: 'main', image, command: ['sleep', '3600'] }] },
      },
    },
  });
}

async function applyDeployment(name: string, replicas: number, image?: string): Promise<Deployment> {
  const result = await api.apply(manifest(name, replicas, image));
  return result.object as Deployment;
}

async function podsOf(deployment: Deployment): Promise<Pod[]> {
  const { items } = await objects.list<Pod>(POD, 'default');
  return items.filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.uid === deployment.metadata.uid));
}

async function getDeployment(name: string): Promise<Deployment | undefined> {
  return objects.get<Deployment>(DEPLOYMENT, 'default', name);
}

/** Waits until the deployment owns exactly `count` pods (all of template hash `hash`, if given); returns them. */
async function waitForPods(deployment: Deployment, count: number, hash?: string): Promise<Pod[]> {
  return waitFor(
    async () => {
      const pods = await podsOf(deployment);
      const matching = hash === undefined || pods.every((pod) => pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === hash);
      return pods.length === count && matching ? pods : undefined;
    },
    { ...CONVERGE, description: `deployment ${deployment.metadata.name} to own ${count} pods` },
  );
}

async function waitForStatus(name: string, expected: Partial<NonNullable<Deployment['status']>>): Promise<Deployment> {
  return waitFor(
    async () => {
      const current = await getDeployment(name);
      const status = current?.status ?? {};
      const matches = Object.entries(expected).every(([field, value]) => (status as Record<string, unknown>)[field] === value);
      return matches ? current : undefined;
    },
    { ...CONVERGE, description: `deployment ${name} status ${JSON.stringify(expected)}` },
  );
}

/** Counts pods created for an owner uid from now on, to catch duplicate creates. */
async function countCreates(ownerUid: () => string | undefined): Promise<{ count: () => number; stop: () => Promise<void> }> {
  let creates = 0;
  const from = await store.currentRevision();
  const handle: WatchHandle = objects.watch(POD, 'default', from, {
    onEvent: (event) => {
      const owner = event.object.metadata.ownerReferences?.[0]?.uid;
      if (event.type === 'ADDED' && owner !== undefined && owner === ownerUid()) creates += 1;
    },
    onCompacted: () => {},
    onError: () => {},
  });
  return { count: () => creates, stop: () => handle.close() };
}

async function deletePod(pod: Pod): Promise<void> {
  const current = await objects.mustGet<Pod>(POD, 'default', pod.metadata.name);
  await objects.delete(POD, 'default', pod.metadata.name, Number(current.metadata.resourceVersion));
}

/** What the scheduler and the agent would write: a node, a phase, readiness. */
async function setPodState(name: string, state: { nodeName?: string; phase?: 'Running'; ready?: boolean }): Promise<void> {
  for (;;) {
    const current = await objects.mustGet<Pod>(POD, 'default', name);
    if (state.nodeName) current.spec.nodeName = state.nodeName;
    current.status = {
      phase: state.phase ?? current.status?.phase ?? 'Pending',
      conditions: [{ type: 'Ready', status: state.ready ? 'True' : 'False' }],
    };
    try {
      await objects.update(POD, current, Number(current.metadata.resourceVersion));
      return;
    } catch {
      // Lost a race with the controller or GC: read again.
    }
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 6)}`;
}

describe('deployment controller', () => {
  it('creates exactly `replicas` pods with owner references, labels and the template spec, and reports status', async () => {
    const name = uniqueName('web');
    let uid: string | undefined;
    const creates = await countCreates(() => uid);
    const deployment = await applyDeployment(name, 3);
    uid = deployment.metadata.uid;
    const pods = await waitForPods(deployment, 3);
    const settled = await waitForStatus(name, { replicas: 3, updatedReplicas: 3, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3, observedGeneration: 1 });

    const hash = pods[0]?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
    expect(hash).toMatch(/^[a-z0-9]{10}$/);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^${name}-[a-z0-9]{5}$`));
      expect(pod.metadata.uid).toBeTruthy();
      expect(pod.metadata.labels).toEqual({ app: name, tier: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
      expect(pod.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(pod.spec).toEqual(deployment.spec.template.spec);
      expect(pod.status).toEqual({ phase: 'Pending' });
    }
    // The status write re-queued the deployment; expectations kept that
    // and every pod event's sync from creating more.
    expect(settled.spec).toEqual(deployment.spec);
    await waitFor(() => creates.count() >= 3, { ...CONVERGE, description: 'the create events to reach the test watch' });
    expect(creates.count()).toBe(3);
    expect(await podsOf(deployment)).toHaveLength(3);
    await creates.stop();
  });

  it('scales up to 5 and down to 1, deleting unscheduled and unready pods first', async () => {
    const name = uniqueName('scale');
    const deployment = await applyDeployment(name, 3);
    const three = await waitForPods(deployment, 3);
    // Two pods run on nodes and are ready; one is still unscheduled.
    const [first, second, third] = three.map((pod) => pod.metadata.name);
    await setPodState(first!, { nodeName: 'node-1', phase: 'Running', ready: true });
    await setPodState(second!, { nodeName: 'node-1', phase: 'Running', ready: true });
    await waitForStatus(name, { readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 });

    await api.scale({ kind: 'Deployment', namespace: 'default', name }, 5);
    await waitForPods(deployment, 5);
    await waitForStatus(name, { replicas: 5, updatedReplicas: 5, readyReplicas: 2, unavailableReplicas: 3, observedGeneration: 2 });

    await api.scale({ kind: 'Deployment', namespace: 'default', name }, 2);
    const two = await waitForPods(deployment, 2);
    // The ready, scheduled pods survive; the unscheduled ones went first.
    expect(two.map((pod) => pod.metadata.name).sort()).toEqual([first, second].sort());
    expect(two.map((pod) => pod.metadata.name)).not.toContain(third);

    await api.scale({ kind: 'Deployment', namespace: 'default', name }, 1);
    await waitForPods(deployment, 1);
    await waitForStatus(name, { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 0, observedGeneration: 4 });
  });

  it('replaces pods deleted behind its back', async () => {
    const name = uniqueName('heal');
    const deployment = await applyDeployment(name, 3);
    const before = await waitForPods(deployment, 3);
    await deletePod(before[0]!);
    await deletePod(before[1]!);
    const after = await waitFor(
      async () => {
        const pods = await podsOf(deployment);
        const names = pods.map((pod) => pod.metadata.name);
        return pods.length === 3 && !names.includes(before[0]!.metadata.name) && !names.includes(before[1]!.metadata.name)
          ? pods
          : undefined;
      },
      { ...CONVERGE, description: 'the deleted pods to be replaced' },
    );
    expect(after.map((pod) => pod.metadata.name)).toContain(before[2]!.metadata.name);
    await waitForStatus(name, { replicas: 3 });
  });

  it('replaces every pod when the template changes (Recreate-like)', async () => {
    const name = uniqueName('roll');
    const deployment = await applyDeployment(name, 3, 'busybox:1');
    const old = await waitForPods(deployment, 3);
    const oldHash = old[0]?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];

    const updated = await applyDeployment(name, 3, 'busybox:2');
    expect(updated.metadata.generation).toBe(2);
    const fresh = await waitFor(
      async () => {
        const pods = await podsOf(deployment);
        const hashes = new Set(pods.map((pod) => pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]));
        return pods.length === 3 && hashes.size === 1 && !hashes.has(oldHash) ? pods : undefined;
      },
      { ...CONVERGE, description: 'all pods to run the new template' },
    );
    for (const pod of fresh) expect(pod.spec.containers[0]?.image).toBe('busybox:2');
    expect(fresh.map((pod) => pod.metadata.name)).not.toContain(old[0]?.metadata.name);
    await waitForStatus(name, { replicas: 3, updatedReplicas: 3, observedGeneration: 2 });
  });

  it('scales to zero', async () => {
    const name = uniqueName('zero');
    const deployment = await applyDeployment(name, 2);
    await waitForPods(deployment, 2);
    await api.scale({ kind: 'Deployment', namespace: 'default', name }, 0);
    await waitForPods(deployment, 0);
    await waitForStatus(name, { replicas: 0, unavailableReplicas: 0 });
  });
});

describe('garbage collector', () => {
  it("deletes a deployment's pods once the deployment is deleted", async () => {
    const name = uniqueName('gone');
    const deployment = await applyDeployment(name, 3);
    await waitForPods(deployment, 3);
    await api.delete({ kind: 'Deployment', namespace: 'default', name });
    await waitForPods(deployment, 0);
    expect(await getDeployment(name)).toBeUndefined();
  });

  it('deletes pods whose controller no longer exists (by uid) and leaves pods without an owner alone', async () => {
    const name = uniqueName('orphan');
    const bare: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-bare`, namespace: 'default', uid: randomUUID() },
      spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
      status: { phase: 'Pending' },
    };
    // The owner reference names a deployment that exists, but with another uid:
    // a pod left over from an earlier deployment of the same name.
    const live = await applyDeployment(name, 0);
    const orphan: Pod = {
      ...bare,
      metadata: {
        name: `${name}-orphan`,
        namespace: 'default',
        uid: randomUUID(),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: randomUUID(), controller: true }],
      },
    };
    await objects.create(POD, bare);
    await objects.create(POD, orphan);
    await waitFor(async () => (await objects.get(POD, 'default', orphan.metadata.name)) === undefined, {
      ...CONVERGE,
      description: 'the orphan pod to be collected',
    });
    expect(await objects.get(POD, 'default', bare.metadata.name)).toBeDefined();
    expect(await getDeployment(name)).toMatchObject({ metadata: { uid: live.metadata.uid } });
  });
});
