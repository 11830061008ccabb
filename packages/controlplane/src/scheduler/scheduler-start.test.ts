// A scheduler started over informers that have synced already, as a new
// leader's term starts over the control plane's shared informers: it decides
// only once it has counted every node and every bound pod the replay hands it.
import { afterEach, describe, expect, it } from 'vitest';
import { kindInfo, type Node, type Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { InformerFactory, type Informer } from '../cache/index.js';
import { EventRecorder } from '../objects/event-recorder.js';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { Scheduler } from './scheduler.js';

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');
let store: MemoryStore | undefined;
let informers: InformerFactory | undefined;
let scheduler: Scheduler | undefined;

afterEach(async () => {
  await scheduler?.stop();
  await informers?.stop();
  await store?.close();
});

function node(name: string, cpu: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}` },
    spec: {},
    status: { capacity: { cpu, memory: '8Gi', pods: '110' }, allocatable: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, cpu: string, nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', image: 'busybox:1', resources: { requests: { cpu, memory: '64Mi' } } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
    },
    status: { phase: 'Pending' },
  };
}

describe('Scheduler over synced informers', () => {
  it('counts the bound pods replayed after a pending one before deciding it', async () => {
    store = new MemoryStore();
    const objects = new ObjectStore(store);
    await objects.create(NODE, node('a', '3'));
    await objects.create(NODE, node('b', '2'));
    // Listed in key order: the pending pod comes first, then the pod that fills most of b.
    await objects.create(POD, pod('a-pending', '1'));
    await objects.create(POD, pod('b-bound', '1500m', 'b'));
    informers = new InformerFactory({ objects });
    const pods = informers.informerFor<Pod>('Pod');
    const nodes = informers.informerFor<Node>('Node');
    informers.start();
    await informers.waitForSync();

    scheduler = new Scheduler({ objects, pods, nodes, events: new EventRecorder(objects), strategy: 'binpack', log: { debug() {}, info() {}, warn() {}, error() {} } });
    scheduler.start();
    // Bin-packing prefers the fuller b when it looks empty; with b-bound counted, only a has room.
    const bound = await waitFor(async () => (await objects.mustGet<Pod>(POD, 'default', 'a-pending')).spec.nodeName, { timeoutMs: 5_000, intervalMs: 5, description: 'a-pending bound' });
    expect(bound).toBe('a');
  });

  it('binds a pending pod whose events never reached it, on its sweep, and says so', async () => {
    store = new MemoryStore();
    const objects = new ObjectStore(store);
    await objects.create(NODE, node('a', '3'));
    informers = new InformerFactory({ objects });
    const shared = informers.informerFor<Pod>('Pod');
    const nodes = informers.informerFor<Node>('Node');
    informers.start();
    await informers.waitForSync();
    // The pod informer as the scheduler sees it, with every event lost: only the sweep can find the pod.
    const pods: Informer<Pod> = { ...bindAll(shared), addHandlers: () => undefined };
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (_fields: object, message: string) => void warnings.push(message), error() {} };
    scheduler = new Scheduler({ objects, pods, nodes, events: new EventRecorder(objects), strategy: 'binpack', log, retryIntervalMs: 20 });
    scheduler.start();
    await objects.create(POD, pod('unheard', '1'));
    const bound = await waitFor(async () => (await objects.mustGet<Pod>(POD, 'default', 'unheard')).spec.nodeName, { timeoutMs: 5_000, intervalMs: 5, description: 'unheard bound' });
    expect(bound).toBe('a');
    expect(warnings).toContain('scheduler sweep queued pending pods that no event had queued');
  });
});

/** The informer's reading methods, bound, so a test can replace one of them. */
function bindAll(informer: Informer<Pod>): Informer<Pod> {
  return {
    addHandlers: (handlers) => informer.addHandlers(handlers),
    addIndex: (name, compute) => informer.addIndex(name, compute),
    hasIndex: (name) => informer.hasIndex(name),
    hasSynced: () => informer.hasSynced(),
    waitForSync: () => informer.waitForSync(),
    get revision() {
      return informer.revision;
    },
    get: (key) => informer.get(key),
    list: () => informer.list(),
    listBy: (predicate) => informer.listBy(predicate),
    byIndex: (name, value) => informer.byIndex(name, value),
  };
}
