// Heartbeats against a real etcd: a Ready node's heartbeats are notes in the
// in-memory liveness table and write nothing (the store's revision does not
// move); a node the Node object calls Unknown is Ready again with its first
// heartbeat, in exactly one write. The etcd revision counts every write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, NODE_LEASE_NAMESPACE, type Lease, type Node } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { ListWatchInformer } from '../cache/informer.js';
import { NodeLiveness } from '../cache/node-liveness.js';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import { NodeRegistrar } from './node-registrar.js';
import { PodCidrAllocator } from './pod-cidr-allocator.js';

const NODE = kindInfo('Node');
const LEASE = kindInfo('Lease');
const T0 = Date.parse('2026-03-01T00:00:00Z');
const LEASE_MS = 1500;

let etcd: EtcdServer;
let store: EtcdStore;
let objects: ObjectStore;
let nodes: ListWatchInformer<Node>;
let now = T0;
let liveness: NodeLiveness;
let registrar: NodeRegistrar;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  objects = new ObjectStore(store);
  await new ApiService(objects).ensureBuiltinNamespaces();
  nodes = new ListWatchInformer<Node>({ objects, info: NODE });
  nodes.start();
  await nodes.waitForSync();
  liveness = new NodeLiveness({ heartbeatIntervalMs: LEASE_MS / 3, leaseDurationMs: LEASE_MS }, () => now);
  registrar = new NodeRegistrar(
    objects,
    new PodCidrAllocator(store, { clusterCidr: '10.244.0.0/16', nodeMaskSize: 24 }),
    { heartbeatIntervalMs: 500, leaseDurationMs: 1500 },
    () => new Date(now),
    { liveness, nodes },
  );
});

afterAll(async () => {
  await nodes?.stop();
  await store?.close();
  await etcd?.stop();
});

/** etcd's revision: it moves with every write, by anyone. */
const revision = async (): Promise<number> => (await store.list('/skiff-test-no-such-prefix/')).revision;
const readyOf = async (name: string) => (await objects.mustGet<Node>(NODE, undefined, name)).status?.conditions?.find((c) => c.type === 'Ready');

const reported = (name: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: {},
  status: { capacity: { cpu: '2', memory: '2Gi' }, conditions: [{ type: 'MemoryPressure', status: 'False' }] },
});

describe('NodeRegistrar heartbeats', () => {
  it('a Ready node heartbeating 50 times writes nothing to etcd and is noted in the liveness table each time', async () => {
    await registrar.register(reported('steady'));
    await waitFor(() => nodes.get('steady') !== undefined, { timeoutMs: 5000, description: 'the node in the cache' });
    const before = await revision();
    for (let i = 1; i <= 50; i++) {
      now += 500;
      await registrar.heartbeat('steady');
      expect(liveness.lastHeard('steady')).toBe(now);
    }
    expect(await revision()).toBe(before);
    // No Lease is kept per node: nothing would renew it.
    expect(await objects.get<Lease>(LEASE, NODE_LEASE_NAMESPACE, 'steady')).toBeUndefined();
  });

  it('a node marked Unknown is Ready again with its next heartbeat, in exactly one write, keeping its own conditions', async () => {
    await registrar.register(reported('back'));
    const node = await objects.mustGet<Node>(NODE, undefined, 'back');
    const unknown = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: new Date(now).toISOString() } as const;
    const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    await objects.update(NODE, { ...node, status: { ...node.status, conditions: [unknown, ...others] } }, Number(node.metadata.resourceVersion));
    await waitFor(() => nodes.get('back')?.status?.conditions?.[0]?.status === 'Unknown', { timeoutMs: 5000, description: 'Unknown in the cache' });

    const before = await revision();
    now += 500;
    await registrar.heartbeat('back');
    expect(await revision()).toBe(before + 1);
    const ready = await readyOf('back');
    expect(ready).toMatchObject({ status: 'True', lastHeartbeatTime: new Date(now).toISOString(), lastTransitionTime: new Date(now).toISOString() });
    expect((await objects.mustGet<Node>(NODE, undefined, 'back')).status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'MemoryPressure']);

    // Once the cache has the Ready node again, heartbeats are free again.
    await waitFor(() => nodes.get('back')?.status?.conditions?.[0]?.status === 'True', { timeoutMs: 5000, description: 'Ready in the cache' });
    const after = await revision();
    for (let i = 0; i < 10; i++) await registrar.heartbeat('back');
    expect(await revision()).toBe(after);
  });

  it('even while the cache still says Ready, a node etcd calls Unknown is made Ready by the next heartbeat the cache has caught up for', async () => {
    // The judge's write and the cache are a moment apart: a heartbeat in between is
    // only noted; the next one after the cache catches up fixes the Node.
    await registrar.register(reported('racing'));
    await waitFor(() => nodes.get('racing')?.status?.conditions?.[0]?.status === 'True', { timeoutMs: 5000, description: 'Ready in the cache' });
    const node = await objects.mustGet<Node>(NODE, undefined, 'racing');
    const unknown = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' } as const;
    await objects.update(NODE, { ...node, status: { ...node.status, conditions: [unknown] } }, Number(node.metadata.resourceVersion));
    await waitFor(
      async () => {
        await registrar.heartbeat('racing');
        return (await readyOf('racing'))?.status === 'True';
      },
      { timeoutMs: 5000, description: 'heartbeats to make racing Ready again' },
    );
  });

  it('a heartbeat for a node that is not registered is NOT_FOUND (the agent registers again) and notes nothing', async () => {
    await expect(registrar.heartbeat('nobody')).rejects.toThrow('node "nobody" is not registered; register it first');
    expect(liveness.hasHeard('nobody')).toBe(false);
  });

  it('registration removes a Lease an earlier version left behind (nothing renews it now)', async () => {
    await objects.create(LEASE, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'upgraded', namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: 'upgraded', leaseDurationSeconds: 2, renewTime: new Date(now).toISOString() },
    } satisfies Lease);
    await registrar.register(reported('upgraded'));
    expect(await objects.get<Lease>(LEASE, NODE_LEASE_NAMESPACE, 'upgraded')).toBeUndefined();
    expect(liveness.lastHeard('upgraded')).toBe(now);
  });
});
