// The deployment and ReplicaSet controllers and the garbage collectors
// together, as the control plane runs them (startControllers), against a real
// etcd; objects are written through the API service, as `ctl apply/scale/delete`
// would. A small stand-in for the agents (`kubelet` below) marks pods Running
// and Ready, and removes pods marked for graceful deletion — the real agents are in test/e2e/rollouts-across-hosts.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import type { ApiService } from '../api/api-service.js';
import type { ObjectStore } from '../objects/object-store.js';
import { deletePod as removePod } from '../objects/pod-deletion.js';
import { EtcdStore } from '../store/etcd-store.js';
import type { WatchHandle } from '../store/store.js';
import { startTestControllers, type TestControllers } from '../test-controllers.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
const REPLICA_SET = kindInfo('ReplicaSet');
const CONVERGE = { timeoutMs: 20_000, intervalMs: 25 };

let etcd: EtcdServer;
let store: EtcdStore;
let running: TestControllers | undefined;
let objects: ObjectStore;
let api: ApiService;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  running = await startTestControllers(store);
  ({ objects, api } = running);
});

afterAll(async () => {
  await running?.stop();
  await etcd?.stop();
});

function manifest(name: string, replicas: number, image = 'busybox:1', spec: Record<string, unknown> = {}): string {
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
      ...spec,
    },
  });
}

async function applyDeployment(name: string, replicas: number, image?: string, spec?: Record<string, unknown>): Promise<Deployment> {
  const result = await api.apply(manifest(name, replicas, image, spec));
  return result.object as Deployment;
}

async function replicaSetsOf(deployment: Deployment): Promise<ReplicaSet[]> {
  const { items } = await objects.list<ReplicaSet>(REPLICA_SET, 'default');
  return items.filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.uid === deployment.metadata.uid));
}

/** The pods of the deployment's ReplicaSets (selected by its app label and owned by a ReplicaSet). */
async function podsOf(deployment: Deployment): Promise<Pod[]> {
  const { items } = await objects.list<Pod>(POD, 'default');
  return items.filter((pod) => pod.metadata.labels?.['app'] === deployment.metadata.name && pod.metadata.ownerReferences?.some((ref) => ref.kind === 'ReplicaSet'));
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

/** Counts pods created for an owner uid from now on, to catch duplicate creates (the uid may be learnt after the first events). */
async function countCreates(ownerUid: () => string | undefined): Promise<{ count: () => number; stop: () => Promise<void> }> {
  const owners: string[] = [];
  const from = await store.currentRevision();
  const handle: WatchHandle = objects.watch(POD, 'default', from, {
    onEvent: (event) => {
      const owner = event.object.metadata.ownerReferences?.[0]?.uid;
      if (event.type === 'ADDED' && owner !== undefined) owners.push(owner);
    },
    onCompacted: () => {},
    onError: () => {},
  });
  return { count: () => owners.filter((owner) => owner === ownerUid()).length, stop: () => handle.close() };
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


/**
 * Stands in for the agents: pods of the apps it serves are scheduled, Running
 * and Ready soon after they appear — except those whose image is "missing",
 * which stay Pending — and it records, after every pod event, how many pods
 * of each app exist and how many are Ready.
 */
class Kubelet {
  private readonly pods = new Map<string, { app: string; ready: boolean }>();
  private readonly extremes = new Map<string, { maxPods: number; minReady: number }>();
  private handle: WatchHandle | undefined;

  async start(): Promise<void> {
    const from = await store.currentRevision();
    this.handle = objects.watch(POD, 'default', from, {
      onEvent: (event) => {
        const pod = event.object as Pod;
        const app = pod.metadata.labels?.['app'];
        if (!app) return;
        // A terminating pod no longer counts, as for Kubernetes' maxSurge: its replacement may start before it is gone.
        if (event.type === 'DELETED' || pod.metadata.deletionTimestamp !== undefined) this.pods.delete(pod.metadata.name);
        else this.pods.set(pod.metadata.name, { app, ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false });
        if (event.type === 'ADDED' && pod.spec.containers[0]?.image !== 'missing') void setPodState(pod.metadata.name, { nodeName: 'node-1', phase: 'Running', ready: true }).catch(() => {});
        // Marked for graceful deletion: stopped at once, then removed as the agent does (grace 0, this incarnation only).
        if (event.type === 'MODIFIED' && pod.metadata.deletionTimestamp !== undefined) {
          void removePod(objects, 'default', pod.metadata.name, { gracePeriodSeconds: 0, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) }).catch(() => {});
        }
        this.measure(app);
      },
      onCompacted: () => {},
      onError: () => {},
    });
  }

  /** From now on, the most pods and the fewest Ready pods `app` has had. */
  watchExtremes(app: string): () => { maxPods: number; minReady: number } {
    const now = this.count(app);
    this.extremes.set(app, { maxPods: now.pods, minReady: now.ready });
    return () => this.extremes.get(app) ?? { maxPods: 0, minReady: 0 };
  }

  private count(app: string): { pods: number; ready: number } {
    let pods = 0;
    let ready = 0;
    for (const pod of this.pods.values()) {
      if (pod.app !== app) continue;
      pods++;
      if (pod.ready) ready++;
    }
    return { pods, ready };
  }

  private measure(app: string): void {
    const extreme = this.extremes.get(app);
    if (!extreme) return;
    const { pods, ready } = this.count(app);
    extreme.maxPods = Math.max(extreme.maxPods, pods);
    extreme.minReady = Math.min(extreme.minReady, ready);
  }

  async stop(): Promise<void> {
    await this.handle?.close();
  }
}

function condition(deployment: Deployment | undefined, type: 'Available' | 'Progressing') {
  return deployment?.status?.conditions?.find((c) => c.type === type);
}

async function waitForRollout(name: string, generation: number): Promise<Deployment> {
  return waitFor(
    async () => {
      const current = await getDeployment(name);
      const status = current?.status;
      const replicas = current?.spec.replicas;
      const done =
        status?.observedGeneration === generation &&
        status.updatedReplicas === replicas &&
        status.replicas === replicas &&
        status.availableReplicas === replicas &&
        condition(current, 'Progressing')?.reason === 'NewReplicaSetAvailable';
      return done ? current : undefined;
    },
    { ...CONVERGE, description: `deployment ${name} to finish rolling out generation ${generation}` },
  );
}

describe('deployment and replicaset controllers', () => {
  const kubelet = new Kubelet();
  beforeAll(() => kubelet.start());
  afterAll(() => kubelet.stop());

  it('creates one ReplicaSet per template (hash, revision) whose pods carry its hash, and reports both statuses', async () => {
    const name = uniqueName('web');
    let uid: string | undefined;
    const creates = await countCreates(() => uid);
    const deployment = await applyDeployment(name, 3, 'missing');
    const [rs] = await waitFor(async () => {
      const sets = await replicaSetsOf(deployment);
      return sets.length === 1 ? sets : undefined;
    }, { ...CONVERGE, description: 'one replica set' });
    uid = rs!.metadata.uid;
    const hash = rs!.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs!.metadata.name).toBe(`${name}-${hash}`);
    expect(rs!.metadata.annotations).toMatchObject({ [REVISION_ANNOTATION]: '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(rs!.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs!.spec.selector).toEqual({ matchLabels: { app: name, [POD_TEMPLATE_HASH_LABEL]: hash } });
    expect(rs!.spec.replicas).toBe(3);

    const pods = await waitForPods(deployment, 3, hash);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^${rs!.metadata.name}-[a-z0-9]{5}$`));
      expect(pod.metadata.labels).toEqual({ app: name, tier: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
      expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs!.metadata.name, uid: rs!.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(pod.spec).toEqual(deployment.spec.template.spec);
    }
    const settled = await waitForStatus(name, { replicas: 3, updatedReplicas: 3, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3, observedGeneration: 1 });
    expect(settled.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(condition(settled, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(condition(settled, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    const rsStatus = await waitFor(async () => {
      const current = await objects.get<ReplicaSet>(REPLICA_SET, 'default', rs!.metadata.name);
      return current?.status?.replicas === 3 ? current.status : undefined;
    }, { ...CONVERGE, description: 'replica set status' });
    expect(rsStatus).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
    await waitFor(() => creates.count() >= 3, { ...CONVERGE, description: 'the create events to reach the test watch' });
    expect(creates.count()).toBe(3);
    await creates.stop();
  });

  it('scales up to 5 and down to 2, deleting unscheduled and unready pods first', async () => {
    const name = uniqueName('scale');
    const deployment = await applyDeployment(name, 3, 'missing');
    const three = await waitForPods(deployment, 3);
    const [first, second, third] = three.map((pod) => pod.metadata.name);
    await setPodState(first!, { nodeName: 'node-1', phase: 'Running', ready: true });
    await setPodState(second!, { nodeName: 'node-1', phase: 'Running', ready: true });
    await waitForStatus(name, { readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 });

    await api.scale({ kind: 'Deployment', namespace: 'default', name }, 5);
    await waitForPods(deployment, 5);
    await waitForStatus(name, { replicas: 5, updatedReplicas: 5, readyReplicas: 2, unavailableReplicas: 3, observedGeneration: 2 });

    await api.scale({ kind: 'Deployment', namespace: 'default', name }, 2);
    const two = await waitForPods(deployment, 2);
    expect(two.map((pod) => pod.metadata.name).sort()).toEqual([first, second].sort());
    expect(two.map((pod) => pod.metadata.name)).not.toContain(third);
    expect(await replicaSetsOf(deployment)).toHaveLength(1);
  });

  it('replaces pods deleted behind its back', async () => {
    const name = uniqueName('heal');
    const deployment = await applyDeployment(name, 3, 'missing');
    const before = await waitForPods(deployment, 3);
    await deletePod(before[0]!);
    const after = await waitFor(
      async () => {
        const pods = await podsOf(deployment);
        return pods.length === 3 && !pods.some((pod) => pod.metadata.name === before[0]!.metadata.name) ? pods : undefined;
      },
      { ...CONVERGE, description: 'the deleted pod to be replaced' },
    );
    expect(after.map((pod) => pod.metadata.name)).toContain(before[1]!.metadata.name);
  });

  it('rolls within maxSurge and maxUnavailable, gated on readiness, and rolls back to the old ReplicaSet', async () => {
    const name = uniqueName('roll');
    const strategy = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } };
    const deployment = await applyDeployment(name, 4, 'busybox:1', strategy);
    await waitForRollout(name, 1);
    const extremes = kubelet.watchExtremes(name);

    await applyDeployment(name, 4, 'busybox:2', strategy);
    const rolled = await waitForRollout(name, 2);
    expect(rolled.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    expect(condition(rolled, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    const sets = await replicaSetsOf(deployment);
    expect(sets.map((rs) => [rs.spec.template.spec.containers[0]?.image, rs.spec.replicas, rs.metadata.annotations?.[REVISION_ANNOTATION]]).sort()).toEqual([
      ['busybox:1', 0, '1'],
      ['busybox:2', 4, '2'],
    ]);
    const pods = await waitForPods(deployment, 4);
    for (const pod of pods) expect(pod.spec.containers[0]?.image).toBe('busybox:2');
    expect(extremes().maxPods).toBeLessThanOrEqual(5);
    expect(extremes().minReady).toBeGreaterThanOrEqual(3);

    // Back to the first template: its ReplicaSet is reused and renumbered.
    await applyDeployment(name, 4, 'busybox:1', strategy);
    const back = await waitForRollout(name, 3);
    expect(back.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    const after = await replicaSetsOf(deployment);
    expect(after).toHaveLength(2);
    const reused = after.find((rs) => rs.spec.template.spec.containers[0]?.image === 'busybox:1');
    expect(reused?.metadata.uid).toBe(sets.find((rs) => rs.spec.template.spec.containers[0]?.image === 'busybox:1')?.metadata.uid);
    expect(reused?.metadata.annotations).toMatchObject({ [REVISION_ANNOTATION]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(extremes().maxPods).toBeLessThanOrEqual(5);
    expect(extremes().minReady).toBeGreaterThanOrEqual(3);
  });

  it('Recreate removes every old pod before the first new one', async () => {
    const name = uniqueName('recreate');
    const deployment = await applyDeployment(name, 3, 'busybox:1', { strategy: { type: 'Recreate' } });
    await waitForRollout(name, 1);
    const extremes = kubelet.watchExtremes(name);
    await applyDeployment(name, 3, 'busybox:2', { strategy: { type: 'Recreate' } });
    await waitForRollout(name, 2);
    // Old and new never overlapped: at most 3 pods, and at some point none were Ready.
    expect(extremes()).toEqual({ maxPods: 3, minReady: 0 });
    for (const pod of await podsOf(deployment)) expect(pod.spec.containers[0]?.image).toBe('busybox:2');
  });

  it('a paused deployment does not roll; resumed, it does', async () => {
    const name = uniqueName('paused');
    const deployment = await applyDeployment(name, 2, 'busybox:1');
    await waitForRollout(name, 1);
    await applyDeployment(name, 2, 'busybox:2', { paused: true });
    const paused = await waitForStatus(name, { observedGeneration: 2 });
    expect(condition(paused, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    expect(await replicaSetsOf(deployment)).toHaveLength(1);
    // Scaling still works while paused.
    await applyDeployment(name, 3, 'busybox:2', { paused: true });
    await waitFor(async () => ((await podsOf(deployment)).length === 3 ? true : undefined), { ...CONVERGE, description: 'scaled while paused' });
    expect((await podsOf(deployment)).every((pod) => pod.spec.containers[0]?.image === 'busybox:1')).toBe(true);
    await applyDeployment(name, 3, 'busybox:2', { paused: false });
    await waitForRollout(name, 4);
    for (const pod of await podsOf(deployment)) expect(pod.spec.containers[0]?.image).toBe('busybox:2');
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    const name = uniqueName('stuck');
    await applyDeployment(name, 2, 'busybox:1', { progressDeadlineSeconds: 1 });
    await waitForRollout(name, 1);
    await applyDeployment(name, 2, 'missing', { progressDeadlineSeconds: 1 });
    const stuck = await waitFor(async () => {
      const current = await getDeployment(name);
      return condition(current, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? current : undefined;
    }, { ...CONVERGE, description: 'the progress deadline to pass' });
    expect(condition(stuck, 'Progressing')).toMatchObject({ status: 'False', message: expect.stringMatching(/^ReplicaSet ".*" has timed out progressing\.$/) });
    // The old pods keep serving: maxUnavailable 25 % of 2 rounds down to 0.
    expect(stuck.status?.availableReplicas).toBe(2);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    const name = uniqueName('history');
    const deployment = await applyDeployment(name, 1, 'busybox:1', { revisionHistoryLimit: 1 });
    await waitForRollout(name, 1);
    await applyDeployment(name, 1, 'busybox:2', { revisionHistoryLimit: 1 });
    await waitForRollout(name, 2);
    await applyDeployment(name, 1, 'busybox:3', { revisionHistoryLimit: 1 });
    await waitForRollout(name, 3);
    const sets = await waitFor(async () => {
      const current = await replicaSetsOf(deployment);
      return current.length === 2 ? current : undefined;
    }, { ...CONVERGE, description: 'the oldest replica set to be pruned' });
    expect(sets.map((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION]).sort()).toEqual(['2', '3']);
  });

  it('counts pods available only once Ready for minReadySeconds', async () => {
    const name = uniqueName('minready');
    await applyDeployment(name, 2, 'busybox:1', { minReadySeconds: 5 });
    const ready = await waitForStatus(name, { readyReplicas: 2 });
    // Same read: Ready, not yet available (5 s have not passed since the kubelet stand-in marked them).
    expect(ready.status?.availableReplicas).toBe(0);
    const [rs] = await replicaSetsOf(ready);
    expect(rs?.spec.minReadySeconds).toBe(5);
    await waitForStatus(name, { readyReplicas: 2, availableReplicas: 2 });
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
  it("deletes a deployment's ReplicaSets and their pods once the deployment is deleted", async () => {
    const name = uniqueName('gone');
    const deployment = await applyDeployment(name, 3);
    await waitForPods(deployment, 3);
    await api.delete({ kind: 'Deployment', namespace: 'default', name });
    await waitForPods(deployment, 0);
    await waitFor(async () => ((await replicaSetsOf(deployment)).length === 0 ? true : undefined), { ...CONVERGE, description: 'replica sets collected' });
    expect(await getDeployment(name)).toBeUndefined();
  });

  it('deletes pods whose controller no longer exists (by uid) and leaves pods without an owner alone', async () => {
    const name = uniqueName('orphan');
    const bare: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-bare`, namespace: 'default', uid: randomUUID(), labels: { app: 'nobody-selects-this' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
      status: { phase: 'Pending' },
    };
    const orphan: Pod = {
      ...bare,
      metadata: {
        name: `${name}-orphan`,
        namespace: 'default',
        uid: randomUUID(),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-abc`, uid: randomUUID(), controller: true }],
      },
    };
    await objects.create(POD, bare);
    await objects.create(POD, orphan);
    await waitFor(async () => (await objects.get(POD, 'default', orphan.metadata.name)) === undefined, {
      ...CONVERGE,
      description: 'the orphan pod to be collected',
    });
    expect(await objects.get(POD, 'default', bare.metadata.name)).toBeDefined();
    await objects.delete(POD, 'default', bare.metadata.name, Number((await objects.mustGet(POD, 'default', bare.metadata.name)).metadata.resourceVersion));
  });
});
