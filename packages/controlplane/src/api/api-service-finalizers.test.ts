// Finalizers and propagation policies through the API service, over the
// in-memory store: what a delete marks, what an update may change on a
// marked object, and when the object finally goes; and deleteCollection.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidError, kindInfo, type Deployment, type ResourceObject } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { ApiService } from './api-service.js';

const CONFIG_MAP = kindInfo('ConfigMap');
const DEPLOYMENT = kindInfo('Deployment');
const CLOCK = new Date('2026-05-06T07:08:09Z');

let objects: ObjectStore;
let api: ApiService;

beforeEach(async () => {
  objects = new ObjectStore(new MemoryStore());
  api = new ApiService(objects, () => CLOCK);
  await api.ensureBuiltinNamespaces();
});

function configMap(name: string, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...metadata }, data: { a: '1' } });
}

function deployment(name: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'busybox:1' }] } },
    },
  });
}

const ref = (kind: string, name: string) => ({ kind, namespace: 'default', name });

describe('finalizers', () => {
  it('a delete marks an object that has finalizers; taking the last one off removes it', async () => {
    await api.apply(configMap('kept', { finalizers: ['example.com/cleanup', 'example.com/audit'] }));
    const marked = await api.delete(ref('ConfigMap', 'kept'));
    expect(marked.metadata.deletionTimestamp).toBe('2026-05-06T07:08:09Z');
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(marked.metadata.finalizers).toEqual(['example.com/cleanup', 'example.com/audit']);
    // A second delete changes nothing.
    expect((await api.delete(ref('ConfigMap', 'kept'))).metadata.resourceVersion).toBe(marked.metadata.resourceVersion);

    const fewer = await api.apply(configMap('kept', { finalizers: ['example.com/audit'] }));
    expect(fewer.object.metadata.finalizers).toEqual(['example.com/audit']);
    expect((await objects.get(CONFIG_MAP, 'default', 'kept'))?.metadata.deletionTimestamp).toBe('2026-05-06T07:08:09Z');
    await api.apply(configMap('kept', { finalizers: [] }));
    expect(await objects.get(CONFIG_MAP, 'default', 'kept')).toBeUndefined();
  });

  it('refuses new finalizers on an object being deleted, and keeps them through a manifest that does not name them', async () => {
    await api.apply(configMap('closing', { finalizers: ['example.com/cleanup'] }));
    await api.delete(ref('ConfigMap', 'closing'));
    const refused = await rejectionOf(api.apply(configMap('closing', { finalizers: ['example.com/cleanup', 'example.com/late'] })), InvalidError);
    expect(refused.message).toContain('no new finalizers can be added if the object is being deleted, found new finalizers ["example.com/late"]');
    // ctl apply of the same manifest without finalizers changes nothing about them.
    await api.apply(configMap('closing'));
    expect((await objects.mustGet(CONFIG_MAP, 'default', 'closing')).metadata.finalizers).toEqual(['example.com/cleanup']);
  });

  it("refuses the garbage collector's finalizers on kinds it does not follow, and both of them at once", async () => {
    const onConfigMap = await rejectionOf(api.apply(configMap('odd', { finalizers: ['orphan'] })), InvalidError);
    expect(onConfigMap.message).toMatch(/"orphan" is the garbage collector's and is handled only on deployments, replicasets/);
    const both = await rejectionOf(api.apply(JSON.stringify({ ...JSON.parse(deployment('both')), metadata: { name: 'both', namespace: 'default', finalizers: ['orphan', 'foregroundDeletion'] } })), InvalidError);
    expect(both.message).toMatch(/both "orphan" and "foregroundDeletion"/);
  });
});

describe('propagation policies', () => {
  it('Foreground and Orphan mark an owner kind with their finalizer; a Background delete then removes it', async () => {
    await api.apply(deployment('web'));
    const foreground = await api.delete(ref('Deployment', 'web'), undefined, { propagationPolicy: 'Foreground' });
    expect(foreground.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(foreground.metadata.deletionTimestamp).toBeDefined();
    // A later delete may change its mind, as in Kubernetes: Orphan swaps the finalizer, Background takes it off.
    expect((await api.delete(ref('Deployment', 'web'), undefined, { propagationPolicy: 'Orphan' })).metadata.finalizers).toEqual(['orphan']);
    // Without a policy, the finalizer it carries decides: still Orphan.
    expect((await api.delete(ref('Deployment', 'web'))).metadata.finalizers).toEqual(['orphan']);
    await api.delete(ref('Deployment', 'web'), undefined, { propagationPolicy: 'Background' });
    expect(await objects.get<Deployment>(DEPLOYMENT, 'default', 'web')).toBeUndefined();
  });

  it('kinds whose dependents nobody follows go at once whatever the policy; a Job orphans its pods by default', async () => {
    await api.apply(configMap('plain'));
    await api.delete(ref('ConfigMap', 'plain'), undefined, { propagationPolicy: 'Foreground' });
    expect(await objects.get(CONFIG_MAP, 'default', 'plain')).toBeUndefined();
    await api.apply(
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'once', namespace: 'default' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1' }] } } },
      }),
    );
    const job: ResourceObject = await api.delete(ref('Job', 'once'));
    expect(job.metadata.finalizers).toEqual(['orphan']);
  });
});

describe('deleteCollection', () => {
  it('deletes what the selectors pick, with the same options, and answers the objects as deleted', async () => {
    await api.apply(configMap('a1', { labels: { group: 'a' } }));
    await api.apply(configMap('a2', { labels: { group: 'a' }, finalizers: ['example.com/keep'] }));
    await api.apply(configMap('a3', { labels: { group: 'a' } }));
    await api.apply(configMap('b1', { labels: { group: 'b' } }));
    const deleted = await api.deleteCollection({ kind: 'ConfigMap', namespace: 'default', labelSelector: 'group=a' }, {}, (object) => object.metadata.name !== 'a3');
    expect(deleted.map((object) => object.metadata.name)).toEqual(['a1', 'a2']);
    // The one with a finalizer is marked, not removed.
    expect(deleted[1]?.metadata.deletionTimestamp).toBe('2026-05-06T07:08:09Z');
    const { items } = await objects.list(CONFIG_MAP, 'default');
    expect(items.map((object) => object.metadata.name).sort()).toEqual(['a2', 'a3', 'b1']);
    await expect(api.deleteCollection({ kind: 'Namespace' })).rejects.toThrow('namespaces cannot be deleted as a collection; delete each by name');
  });
});
