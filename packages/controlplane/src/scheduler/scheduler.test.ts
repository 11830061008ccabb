// The scheduling loop end to end inside one process: informers over the
// in-memory store, decisions, binds in batched compare-and-swaps, events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, type Event, type Node, type Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { InformerFactory } from '../cache/index.js';
import { EventRecorder } from '../objects/event-recorder.js';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { BINDS_IN_FLIGHT, Scheduler } from './scheduler.js';

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');
const EVENT = kindInfo('Event');
const SOON = { timeoutMs: 5_000, intervalMs: 5 };

let store: MemoryStore;
let objects: ObjectStore;
let informers: InformerFactory;
let scheduler: Scheduler;

function node(name: string, cpu: string, ready = true): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}` },
    spec: {},
    status: {
      capacity: { cpu, memory: '8Gi', pods: '110' },
      allocatable: { cpu, memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

function pod(name: string, cpu: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      containers: [{ name: 'c', image: 'busybox:1', resources: { requests: { cpu, memory: '64Mi' } } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
    },
    status: { phase: 'Pending' },
  };
}

async function boundNodeOf(name: string): Promise<string | undefined> {
  return (await objects.mustGet<Pod>(POD, 'default', name)).spec.nodeName;
}

/** A scheduler over this test's store and informers (retries every 10 s unless told). */
function newScheduler(retryIntervalMs?: number): Scheduler {
  return new Scheduler({
    objects,
    pods: informers.informerFor<Pod>('Pod'),
    nodes: informers.informerFor<Node>('Node'),
    events: new EventRecorder(objects),
    strategy: 'binpack',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    ...(retryIntervalMs !== undefined ? { retryIntervalMs } : {}),
  });
}

beforeEach(() => {
  store = new MemoryStore();
  objects = new ObjectStore(store);
  informers = new InformerFactory({ objects });
  scheduler = newScheduler();
  scheduler.start();
  informers.start();
});

afterEach(async () => {
  await scheduler.stop();
  await informers.stop();
  await store.close();
});

describe('Scheduler', () => {
  it('binds pending pods within capacity, packing the fuller node first, and stamps PodScheduled', async () => {
    await objects.create(NODE, node('a', '2'));
    await objects.create(NODE, node('b', '2'));
    await objects.create(NODE, node('down', '64', false));
    for (const name of ['p1', 'p2', 'p3', 'p4']) await objects.create(POD, pod(name, '1'));

    await waitFor(async () => (await objects.list<Pod>(POD, 'default')).items.every((p) => p.spec.nodeName), { ...SOON, description: 'every pod bound' });
    const { items } = await objects.list<Pod>(POD, 'default');
    const perNode = new Map<string, number>();
    for (const p of items) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).toEqual({ a: 2, b: 2 });
    for (const p of items) {
      expect(p.status?.phase).toBe('Pending');
      expect(p.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastTransitionTime: expect.any(String) }]);
    }
  });

  it('explains a pod that fits nowhere in one event, and binds it once a node can hold it', async () => {
    await objects.create(NODE, node('small', '1'));
    await objects.create(NODE, node('tiny', '1'));
    await objects.create(POD, pod('big', '4'));

    const event = await waitFor(async () => (await objects.list<Event>(EVENT, 'default')).items.find((e) => e.reason === 'FailedScheduling'), { ...SOON, description: 'a FailedScheduling event' });
    expect(event.message).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    expect(event.involvedObject).toMatchObject({ kind: 'Pod', name: 'big', namespace: 'default' });
    // The pod says so itself, as in Kubernetes.
    const waiting = await waitFor(
      async () => (await objects.mustGet<Pod>(POD, 'default', 'big')).status?.conditions?.find((c) => c.type === 'PodScheduled'),
      { ...SOON, description: "the pod's PodScheduled condition" },
    );
    expect(waiting).toEqual({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient cpu.', lastTransitionTime: expect.any(String) });
    expect(await boundNodeOf('big')).toBeUndefined();

    await objects.create(NODE, node('large', '8'));
    await waitFor(async () => (await boundNodeOf('big')) === 'large', { ...SOON, description: 'the pod bound to the new node' });
    const bound = await objects.mustGet<Pod>(POD, 'default', 'big');
    expect(bound.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastTransitionTime: expect.any(String) }]);
  });

  it('writes the pod once while it stays unschedulable for the same reason; each retry only counts the event', async () => {
    await scheduler.stop();
    scheduler = newScheduler(20);
    scheduler.start();
    await objects.create(NODE, node('small', '1'));
    await objects.create(POD, pod('big', '4'));
    const said = await waitFor(
      async () => {
        const current = await objects.mustGet<Pod>(POD, 'default', 'big');
        return current.status?.conditions?.some((c) => c.reason === 'Unschedulable') ? current : undefined;
      },
      { ...SOON, description: 'the Unschedulable condition' },
    );
    // Retried every 20 ms: the event is counted again and again, the pod is not rewritten.
    await waitFor(async () => ((await objects.list<Event>(EVENT, 'default')).items.find((e) => e.reason === 'FailedScheduling')?.count ?? 0) >= 3, {
      ...SOON,
      description: 'three FailedScheduling attempts counted',
    });
    expect((await objects.mustGet<Pod>(POD, 'default', 'big')).metadata.resourceVersion).toBe(said.metadata.resourceVersion);
  });

  it('does not retry the waiting pods when a pod that never had a node is deleted (nothing was freed)', async () => {
    await objects.create(NODE, node('small', '1'));
    await Promise.all(['w1', 'w2', 'w3'].map((name) => objects.create(POD, pod(name, '4'))));
    const failures = async (name: string): Promise<number> =>
      (await objects.list<Event>(EVENT, 'default')).items.find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === name)?.count ?? 0;
    const said = async (name: string): Promise<boolean> =>
      (await objects.mustGet<Pod>(POD, 'default', name)).status?.conditions?.some((c) => c.reason === 'Unschedulable') ?? false;
    await waitFor(async () => (await failures('w3')) === 1 && (await said('w1')) && (await said('w2')), {
      ...SOON,
      description: 'all three reported unschedulable',
    });
    for (const name of ['w1', 'w2']) {
      const waiting = await objects.mustGet<Pod>(POD, 'default', name);
      await objects.delete(POD, 'default', name, Number(waiting.metadata.resourceVersion));
    }
    // A pod reported after the deletes: had they retried w3, its event would be counted twice by now.
    await objects.create(POD, pod('later', '4'));
    await waitFor(async () => (await failures('later')) === 1, { ...SOON, description: 'the later pod reported unschedulable' });
    expect(await failures('w3')).toBe(1);
    // A new node can help: the waiting pods get another try.
    await objects.create(NODE, node('roomy', '8'));
    await waitFor(async () => (await boundNodeOf('w3')) === 'roomy' && (await boundNodeOf('later')) === 'roomy', { ...SOON, description: 'both bound on the new node' });
  });

  it('gives the capacity of a pod that finished to a waiting one', async () => {
    await objects.create(NODE, node('only', '1'));
    await objects.create(POD, pod('first', '1'));
    await waitFor(async () => (await boundNodeOf('first')) === 'only', { ...SOON, description: 'first bound' });
    await objects.create(POD, pod('second', '1'));
    await waitFor(async () => (await objects.list<Event>(EVENT, 'default')).items.some((e) => e.involvedObject.name === 'second'), { ...SOON, description: 'second reported unschedulable' });

    const first = await objects.mustGet<Pod>(POD, 'default', 'first');
    await objects.update(POD, { ...first, status: { phase: 'Succeeded' } }, Number(first.metadata.resourceVersion));
    await waitFor(async () => (await boundNodeOf('second')) === 'only', { ...SOON, description: 'second bound where first ran' });
  });

  it('never binds a pod that was deleted before its turn', async () => {
    const created = await objects.create(POD, pod('gone', '1'));
    await objects.delete(POD, 'default', 'gone', Number(created.metadata.resourceVersion));
    await objects.create(NODE, node('a', '2'));
    await objects.create(POD, pod('stays', '1'));
    await waitFor(async () => (await boundNodeOf('stays')) === 'a', { ...SOON, description: 'stays bound' });
    expect(await objects.get(POD, 'default', 'gone')).toBeUndefined();
  });
});

describe('Scheduler binding in a pipeline', () => {
  it('keeps several bind transactions in flight, never more than BINDS_IN_FLIGHT, without over-booking a node', async () => {
    // A store whose transactions take a while, counting how many are open at once.
    let open = 0;
    let most = 0;
    class SlowCommits extends MemoryStore {
      override async commit(...args: Parameters<MemoryStore['commit']>): Promise<number> {
        open++;
        most = Math.max(most, open);
        await new Promise((resolve) => setTimeout(resolve, 20));
        try {
          return await super.commit(...args);
        } finally {
          open--;
        }
      }
    }
    const slow = new SlowCommits();
    const slowObjects = new ObjectStore(slow);
    const slowInformers = new InformerFactory({ objects: slowObjects });
    const pipelined = new Scheduler({
      objects: slowObjects,
      pods: slowInformers.informerFor<Pod>('Pod'),
      nodes: slowInformers.informerFor<Node>('Node'),
      events: new EventRecorder(slowObjects),
      strategy: 'binpack',
      log: { debug() {}, info() {}, warn() {}, error() {} },
      batchSize: 10,
    });
    try {
      // 10 nodes of 4 cpu hold 40 pods of 1 cpu; 60 pods ask.
      for (let i = 0; i < 10; i++) await slowObjects.create(NODE, node(`n${i}`, '4'));
      for (let i = 0; i < 60; i++) await slowObjects.create(POD, pod(`p${String(i).padStart(2, '0')}`, '1'));
      pipelined.start();
      slowInformers.start();
      await waitFor(async () => (await slowObjects.list<Pod>(POD, 'default')).items.filter((p) => p.spec.nodeName).length === 40, {
        ...SOON,
        description: '40 pods bound',
      });
      const perNode = new Map<string, number>();
      for (const p of (await slowObjects.list<Pod>(POD, 'default')).items) {
        if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
      }
      expect([...perNode.values()]).toEqual(Array.from({ length: 10 }, () => 4));
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(BINDS_IN_FLIGHT);
    } finally {
      await pipelined.stop();
      await slowInformers.stop();
      await slow.close();
    }
  });
});
