// A Deployment stored by an older Skiff, whose pods it owns directly (no
// ReplicaSet), meets the new controllers: the pods of its current template
// are handed to a new ReplicaSet without being replaced; outdated ones go.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, POD_TEMPLATE_HASH_LABEL, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { InformerFactory } from '../cache/index.js';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import { startControllers, type RunningControllers } from './index.js';
import { legacyTemplateHash } from './legacy-pod-migration.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
const REPLICA_SET = kindInfo('ReplicaSet');

let etcd: EtcdServer;
let store: EtcdStore;
let objects: ObjectStore;
let informers: InformerFactory | undefined;
let controllers: RunningControllers | undefined;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  objects = new ObjectStore(store);
  await new ApiService(objects).ensureBuiltinNamespaces();
});

afterAll(async () => {
  await controllers?.stop();
  await informers?.stop();
  await store?.close();
  await etcd?.stop();
});

function legacyPod(deployment: Deployment, name: string, hash: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: randomUUID(),
      labels: { app: 'old', [POD_TEMPLATE_HASH_LABEL]: hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'old', uid: deployment.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: { ...deployment.spec.template.spec, nodeName: 'node-1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

describe('pods owned directly by a Deployment (stored by an older Skiff)', () => {
  it('are released to a new ReplicaSet when they run the current template, deleted otherwise', async () => {
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'old', namespace: 'default', uid: randomUUID(), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'old' } },
        template: { metadata: { labels: { app: 'old' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      },
    };
    await objects.create(DEPLOYMENT, deployment);
    const current = legacyTemplateHash(deployment.spec.template);
    for (const name of ['old-aaaaa', 'old-bbbbb']) await objects.create(POD, legacyPod(deployment, name, current));
    await objects.create(POD, legacyPod(deployment, 'old-zzzzz', 'outdated42'));

    informers = new InformerFactory({ objects });
    controllers = startControllers({ objects, informers });
    informers.start();

    const settled = await waitFor(
      async () => {
        const { items } = await objects.list<Pod>(POD, 'default');
        const owned = items.filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.kind === 'ReplicaSet'));
        return items.length === 2 && owned.length === 2 ? owned : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, description: 'the two current pods adopted by a replica set, the outdated one gone' },
    );
    expect(settled.map((pod) => pod.metadata.name).sort()).toEqual(['old-aaaaa', 'old-bbbbb']);
    const { items: sets } = await objects.list<ReplicaSet>(REPLICA_SET, 'default');
    expect(sets).toHaveLength(1);
    const rs = sets[0]!;
    for (const pod of settled) {
      expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]).toBe(rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]);
    }
    await waitFor(
      async () => {
        const d = await objects.get<Deployment>(DEPLOYMENT, 'default', 'old');
        return d?.status?.availableReplicas === 2 && d.status.updatedReplicas === 2 ? d : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, description: 'the deployment to report its two pods' },
    );
  });
});
