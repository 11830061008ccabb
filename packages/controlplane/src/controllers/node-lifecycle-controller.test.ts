// The node lifecycle controller against a real etcd, with its clock (and the
// liveness table's) in the test's hands: silence is judged by that clock, so
// "late" is exact. Heartbeats are notes in the in-memory table, as the node
// registrar makes them; the Node objects in etcd change only on transitions.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, type Node, type Pod } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { EventRecorder } from '../objects/event-recorder.js';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import { ListWatchInformer } from '../cache/informer.js';
import { NodeLiveness } from '../cache/node-liveness.js';
import { NodeLifecycleController } from './node-lifecycle-controller.js';

const NODE = kindInfo('Node');
const POD = kindInfo('Pod');
const LEASE_MS = 1500;
const EVICT_MS = 500;
const T0 = Date.parse('2026-01-01T00:00:00Z');

let etcd: EtcdServer;
let store: EtcdStore;
let objects: ObjectStore;
let informers: { nodes: ListWatchInformer<Node>; pods: ListWatchInformer<Pod> };
let controller: NodeLifecycleController | undefined;
let now = T0;
let storeUp = true;
/** The control plane's liveness table; a restart makes a new one. */
let liveness = new NodeLiveness({ heartbeatIntervalMs: LEASE_MS / 3, leaseDurationMs: LEASE_MS }, () => now);

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  objects = new ObjectStore(store);
  await new ApiService(objects).ensureBuiltinNamespaces();
  informers = {
    nodes: new ListWatchInformer<Node>({ objects, info: NODE }),
    pods: new ListWatchInformer<Pod>({ objects, info: POD }),
  };
  for (const informer of Object.values(informers)) informer.start();
  await Promise.all(Object.values(informers).map((i) => i.waitForSync()));
});

afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

afterAll(async () => {
  for (const informer of Object.values(informers ?? {})) await informer.stop();
  await store?.close();
  await etcd?.stop();
});

function startController(): void {
  controller = new NodeLifecycleController({
    objects,
    ...informers,
    liveness,
    events: new EventRecorder(objects, () => new Date(now)),
    log: { debug() {}, info() {}, warn() {}, error() {} },
    leaseDurationMs: LEASE_MS,
    podEvictionTimeoutMs: EVICT_MS,
    storeHealthy: async () => {
      if (!storeUp) throw new Error('store down');
    },
    clock: () => now,
  });
  controller.start();
}

async function addNode(name: string, renewedAt: number, heard = true): Promise<void> {
  const iso = new Date(renewedAt).toISOString();
  await objects.create(NODE, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: {
      capacity: { cpu: '2', memory: '2Gi' },
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso, lastHeartbeatTime: iso }],
    },
  } satisfies Node);
  if (heard) renew(name, renewedAt);
  await objects.create(POD, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${name}-pod`, namespace: 'default', uid: `${name}-uid` },
    spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 1, nodeName: name },
    status: { phase: 'Running' },
  } satisfies Pod);
  await waitFor(() => informers.pods.get(`default/${name}-pod`) !== undefined && informers.nodes.get(name) !== undefined, {
    timeoutMs: 5000,
    description: `informers to see ${name}`,
  });
}

/** A heartbeat from the node at `at`, as the registrar notes it: in memory only. */
function renew(name: string, at: number): void {
  const saved = now;
  now = at;
  liveness.heard(name);
  now = saved;
}

const readyOf = async (name: string) => (await objects.mustGet<Node>(NODE, undefined, name)).status?.conditions?.find((c) => c.type === 'Ready');

/** Removes what addNode made. */
async function removeNode(name: string): Promise<void> {
  const node = await objects.mustGet<Node>(NODE, undefined, name);
  await objects.delete(NODE, undefined, name, Number(node.metadata.resourceVersion));
  const pod = await objects.mustGet<Pod>(POD, 'default', `${name}-pod`);
  await objects.delete(POD, 'default', `${name}-pod`, Number(pod.metadata.resourceVersion));
}

const taintKeys = (node: Node): string[] => (node.spec.taints ?? []).map((t) => t.key);

/** Lets the controller run a few passes at the current fake time. */
async function settle(): Promise<void> {
  const ticksBefore = Date.now();
  await waitFor(() => Date.now() - ticksBefore > 600, { timeoutMs: 2000, intervalMs: 50, description: 'a few controller ticks' });
}

describe('NodeLifecycleController', () => {
  it('does not judge a node that joined but has not registered yet (no lease, no Ready condition)', async () => {
    now = T0;
    await addNode('registered', now);
    await objects.create(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'just-joined' }, spec: {}, status: {} } satisfies Node);
    await waitFor(() => informers.nodes.get('just-joined') !== undefined, { timeoutMs: 5000, description: 'the joined node in the cache' });
    startController();
    now = T0 + 4 * LEASE_MS;
    renew('registered', now);
    await settle();
    expect(await readyOf('just-joined')).toBeUndefined();
    expect((await readyOf('registered'))?.status).toBe('True');
    await controller?.stop();
    controller = undefined;
    const node = await objects.mustGet<Node>(NODE, undefined, 'just-joined');
    await objects.delete(NODE, undefined, 'just-joined', Number(node.metadata.resourceVersion));
    await removeNode('registered');
    await waitFor(() => informers.nodes.list().length === 0, { timeoutMs: 5000, description: 'the test nodes gone from the cache' });
  });

  it('invariant: one late heartbeat never evicts; a silent node goes NotReady, then loses its pods after the timeout', async () => {
    now = T0;
    await addNode('alive', now);
    await addNode('dying', now);
    // Being deleted gracefully when its node dies: no agent will ever confirm it, so it goes too.
    await objects.create(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dying-terminating', namespace: 'default', uid: 'dying-terminating-uid', deletionTimestamp: new Date(now + 30_000).toISOString(), deletionGracePeriodSeconds: 30 },
      spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, nodeName: 'dying' },
      status: { phase: 'Running' },
    } satisfies Pod);
    await waitFor(() => informers.pods.get('default/dying-terminating') !== undefined, { timeoutMs: 5000, description: 'the terminating pod in the cache' });
    now += LEASE_MS; // past the start-up grace
    startController();

    // A heartbeat 1 s late (lease not yet expired): nothing happens.
    now = T0 + LEASE_MS + LEASE_MS - 100;
    renew('alive', now - 1);
    await settle();
    expect((await readyOf('dying'))?.status).toBe('True');

    // 'dying' stays silent past its lease: NotReady with reason, but no eviction yet.
    now = T0 + LEASE_MS + LEASE_MS + 100;
    renew('alive', now);
    await waitFor(async () => (await readyOf('dying'))?.status === 'Unknown', { timeoutMs: 5000, description: 'dying NotReady' });
    expect(await readyOf('dying')).toMatchObject({ reason: 'NodeStatusUnknown', lastTransitionTime: new Date(now).toISOString() });
    await waitFor(async () => taintKeys(await objects.mustGet<Node>(NODE, undefined, 'dying')).includes('node.kubernetes.io/unreachable'), {
      timeoutMs: 5000,
      description: 'the unreachable taint on dying',
    });
    await settle();
    expect(await objects.get(POD, 'default', 'dying-pod')).toBeDefined();

    // After the eviction timeout its pods are deleted; the healthy node keeps its own.
    now += EVICT_MS;
    renew('alive', now);
    await waitFor(async () => (await objects.get(POD, 'default', 'dying-pod')) === undefined, { timeoutMs: 5000, description: 'dying-pod evicted' });
    await waitFor(async () => (await objects.get(POD, 'default', 'dying-terminating')) === undefined, { timeoutMs: 5000, description: 'the terminating pod force-deleted' });
    expect(await objects.get(POD, 'default', 'alive-pod')).toBeDefined();
    expect((await readyOf('alive'))?.status).toBe('True');
  });

  it('mirrors MemoryPressure and cordon as NoSchedule taints, keeps user taints, and removes them when they clear', async () => {
    now = T0;
    await addNode('pressed', now);
    startController();
    const setNode = async (change: (node: Node) => Node): Promise<void> => {
      const node = await objects.mustGet<Node>(NODE, undefined, 'pressed');
      await objects.update(NODE, change(node), Number(node.metadata.resourceVersion));
    };
    const keys = async (): Promise<string[]> => taintKeys(await objects.mustGet<Node>(NODE, undefined, 'pressed'));
    await setNode((node) => ({
      ...node,
      spec: { unschedulable: true, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
      status: { ...node.status, conditions: [...(node.status?.conditions ?? []), { type: 'MemoryPressure', status: 'True' }] },
    }));
    await waitFor(async () => (await keys()).length === 3, { timeoutMs: 5000, description: 'the condition taints' });
    expect(await keys()).toEqual(['dedicated', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/unschedulable']);
    await setNode((node) => ({
      ...node,
      spec: { ...node.spec, unschedulable: false },
      status: { ...node.status, conditions: (node.status?.conditions ?? []).map((c) => (c.type === 'MemoryPressure' ? { ...c, status: 'False' as const } : c)) },
    }));
    await waitFor(async () => (await keys()).length === 1, { timeoutMs: 5000, description: 'the condition taints removed' });
    expect(await keys()).toEqual(['dedicated']);
    await controller?.stop();
    controller = undefined;
    await removeNode('pressed');
    await waitFor(() => informers.nodes.get('pressed') === undefined, { timeoutMs: 5000, description: 'the test node gone from the cache' });
  });

  it('invariant: when every node falls silent at once, nothing is marked or evicted', async () => {
    now = T0 + 50_000;
    await addNode('lonely-1', now);
    await addNode('lonely-2', now);
    startController();
    now += 10 * LEASE_MS; // every lease (and those of earlier tests' nodes) is long expired
    await settle();
    expect((await readyOf('lonely-1'))?.status).toBe('True');
    expect(await objects.get(POD, 'default', 'lonely-2-pod')).toBeDefined();
  });

  it('invariant: after the store was unreachable, nodes get a full lease to renew before anything is judged', async () => {
    now = T0 + 100_000;
    await addNode('patient', now);
    now += LEASE_MS;
    startController();
    storeUp = false;
    await settle();
    storeUp = true;
    now += LEASE_MS - 100; // the lease is long expired by the clock, but the store was just away
    renew('alive', now); // (another node stays healthy: a fleet-wide silence is never acted on)
    await settle();
    expect((await readyOf('patient'))?.status).toBe('True');
    now += 200;
    renew('alive', now);
    await waitFor(async () => (await readyOf('patient'))?.status === 'Unknown', { timeoutMs: 5000, description: 'patient NotReady once the grace is over' });
  });

  it('invariant: a restarted control plane (a new liveness table) gives every node a full lease before judging it', async () => {
    now = T0 + 200_000;
    await addNode('survivor', now);
    await addNode('forgotten', now, false);
    liveness = new NodeLiveness({ heartbeatIntervalMs: LEASE_MS / 3, leaseDurationMs: LEASE_MS }, () => now); // the restart: nothing heard yet, by anyone
    startController();
    now += LEASE_MS - 100;
    renew('survivor', now);
    await settle();
    expect((await readyOf('forgotten'))?.status).toBe('True');
    expect((await readyOf('survivor'))?.status).toBe('True');
    now += 200;
    renew('survivor', now);
    await waitFor(async () => (await readyOf('forgotten'))?.status === 'Unknown', { timeoutMs: 5000, description: 'forgotten NotReady once the grace is over' });
    const ready = await readyOf('forgotten');
    expect(ready?.message).toBe('the node agent has not been heard from since the control plane started');
    // Its last heartbeat time stays what registration recorded (we never heard it).
    expect(ready?.lastHeartbeatTime).toBe(new Date(T0 + 200_000).toISOString());
    expect((await readyOf('survivor'))?.status).toBe('True');
  });

  it('invariant: a fleet that falls silent over one heartbeat interval (its last heartbeats spread) loses no pods', async () => {
    now = T0 + 300_000;
    // A longer interval than the lease's third, as a large fleet is told: silence spreads over it.
    liveness = new NodeLiveness({ heartbeatIntervalMs: 1000, leaseDurationMs: LEASE_MS }, () => now);
    await addNode('wave-1', now);
    await addNode('wave-2', now + 900);
    startController();
    now += LEASE_MS + 100; // wave-1 is silent, wave-2 not yet
    await waitFor(async () => (await readyOf('wave-1'))?.status === 'Unknown', { timeoutMs: 5000, description: 'wave-1 NotReady' });
    now += EVICT_MS + 100; // wave-1 NotReady past the eviction timeout; wave-2 (heard 900 ms later) still within its lease
    await settle();
    expect(await objects.get(POD, 'default', 'wave-1-pod')).toBeDefined();
    now += 300; // now wave-2 is silent too: the whole fleet, which is never acted on
    await settle();
    expect(await objects.get(POD, 'default', 'wave-1-pod')).toBeDefined();
    expect(await objects.get(POD, 'default', 'wave-2-pod')).toBeDefined();
  });
});
