import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, type Node, type Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { InformerFactory } from '../cache/index.js';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { OrphanedPodCollector } from './orphaned-pod-collector.js';

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');
const SOON = { timeoutMs: 5_000, intervalMs: 5 };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let store: MemoryStore;
let objects: ObjectStore;
let informers: InformerFactory;
let collector: OrphanedPodCollector;

const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}` }, spec: {}, status: {} });
const pod = (name: string, nodeName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { containers: [{ name: 'c', image: 'busybox:1' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...(nodeName ? { nodeName } : {}) },
});

function start(quarantineMs: number): void {
  informers = new InformerFactory({ objects });
  collector = new OrphanedPodCollector({
    objects,
    pods: informers.informerFor<Pod>('Pod'),
    nodes: informers.informerFor<Node>('Node'),
    log: quiet,
    quarantineMs,
  });
  collector.start();
  informers.start();
}

beforeEach(() => {
  store = new MemoryStore();
  objects = new ObjectStore(store);
});

afterEach(async () => {
  await collector.stop();
  await informers.stop();
  await store.close();
});

describe('OrphanedPodCollector', () => {
  it('deletes the pods of a deleted node, and only those', async () => {
    const gone = await objects.create(NODE, node('gone'));
    await objects.create(NODE, node('stays'));
    await objects.create(POD, pod('on-gone', 'gone'));
    await objects.create(POD, pod('on-stays', 'stays'));
    await objects.create(POD, pod('pending'));
    start(0);
    await informers.waitForSync();
    await objects.delete(NODE, undefined, 'gone', Number(gone.metadata.resourceVersion));
    await waitFor(async () => !(await objects.get(POD, 'default', 'on-gone')), { ...SOON, description: 'the orphan deleted' });
    expect(await objects.get(POD, 'default', 'on-stays')).toBeDefined();
    expect(await objects.get(POD, 'default', 'pending')).toBeDefined();
  });

  it('finds at start the pods of a node deleted while it was not running', async () => {
    await objects.create(POD, pod('left-behind', 'never-there'));
    start(0);
    await waitFor(async () => !(await objects.get(POD, 'default', 'left-behind')), { ...SOON, description: 'the orphan deleted' });
  });

  it('keeps the pods of a node that is back before the quarantine ends', async () => {
    const first = await objects.create(NODE, node('rejoins'));
    await objects.create(POD, pod('kept', 'rejoins'));
    start(200);
    await informers.waitForSync();
    await objects.delete(NODE, undefined, 'rejoins', Number(first.metadata.resourceVersion));
    await objects.create(NODE, node('rejoins'));
    // The quarantine has passed once a pod queued after it is handled: a canary on a missing node.
    await objects.create(POD, pod('canary', 'missing'));
    await waitFor(async () => !(await objects.get(POD, 'default', 'canary')), { ...SOON, description: 'the canary deleted after its quarantine' });
    expect(await objects.get(POD, 'default', 'kept')).toBeDefined();
  });
});
