// Expectations in isolation: a ReplicaSet controller whose pod informer never
// sees the controller's own writes (its watch delivers nothing) must not
// create the missing pods a second time. Own etcd, no other controller running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, type Pod, type ReplicaSet } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import type { Store, WatchHandle } from '../store/store.js';
import { ReplicaSetController } from './replica-set-controller.js';
import { ListWatchInformer } from '../cache/informer.js';

const POD = kindInfo('Pod');
const REPLICA_SET = kindInfo('ReplicaSet');

let etcd: EtcdServer;
let store: EtcdStore;
let objects: ObjectStore;
let api: ApiService;
let replicaSets: ListWatchInformer<ReplicaSet>;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  objects = new ObjectStore(store);
  api = new ApiService(objects);
  await api.ensureBuiltinNamespaces();
  replicaSets = new ListWatchInformer<ReplicaSet>({ objects, info: REPLICA_SET });
  replicaSets.start();
  await replicaSets.waitForSync();
});

afterAll(async () => {
  await replicaSets?.stop();
  await store?.close();
  await etcd?.stop();
});

/** The same store, except that watches never deliver anything: an informer over it is frozen at its list. */
function blindTo(watches: Store): Store {
  const silent: WatchHandle = { close: async () => {}, progress: () => 0 };
  return new Proxy(watches, {
    get(target, property, receiver) {
      if (property === 'watch') return () => silent;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function replicaSetNamed(name: string, replicas: number): Promise<string> {
  await api.apply(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
      },
    }),
  );
  const key = `default/${name}`;
  await waitFor(() => replicaSets.get(key), { timeoutMs: 10_000, description: `${key} in the informer` });
  return key;
}

async function podCount(name: string): Promise<number> {
  const { items } = await objects.list<Pod>(POD, 'default');
  return items.filter((pod) => pod.metadata.ownerReferences?.[0]?.name === name).length;
}

async function blindPodInformer(): Promise<ListWatchInformer<Pod>> {
  const pods = new ListWatchInformer<Pod>({ objects: new ObjectStore(blindTo(store)), info: POD });
  pods.start();
  await pods.waitForSync();
  return pods;
}

describe('replicaset controller expectations', () => {
  it('do not create again before the informer has seen the first creates', async () => {
    const key = await replicaSetNamed('careful', 3);
    const pods = await blindPodInformer();
    const controller = new ReplicaSetController({ objects, replicaSets, pods });
    await controller.sync(key);
    expect(await podCount('careful')).toBe(3);
    // The cache still shows no pods, but the three creates are expected.
    await controller.sync(key);
    await controller.sync(key);
    expect(await podCount('careful')).toBe(3);
    await pods.stop();
  });

  it('are what prevents the duplicates: with a zero timeout the same syncs over-create', async () => {
    const key = await replicaSetNamed('careless', 2);
    const pods = await blindPodInformer();
    const controller = new ReplicaSetController({ objects, replicaSets, pods, expectationsTimeoutMs: 0 });
    await controller.sync(key);
    await controller.sync(key);
    expect(await podCount('careless')).toBe(4);
    await pods.stop();
  });

  it('a deleted replica set syncs to nothing', async () => {
    const pods = await blindPodInformer();
    const controller = new ReplicaSetController({ objects, replicaSets, pods });
    await controller.sync('default/never-existed');
    expect(await podCount('never-existed')).toBe(0);
    await pods.stop();
  });
});
