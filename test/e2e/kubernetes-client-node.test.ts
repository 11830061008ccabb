// The official JavaScript client, @kubernetes/client-node, against Skiff's
// REST API with the admin kubeconfig the control plane wrote: typed lists,
// creates, each patch type it offers, reads and deletes; its Watch with
// bookmarks and sendInitialEvents; and an informer (makeInformer) that
// follows ConfigMaps and, after its resourceVersion was compacted away,
// relists on the 410 and ends up with exactly the objects that exist.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  Watch,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';
import { restRequest } from '../harness/kubectl.js';

// The control plane compacts etcd (and its watch cache's window) every second, and bookmarks a watch every second.
const fixture = useCluster({ controlPlaneArgs: ['--etcd-compaction-interval', '1s', '--watch-bookmark-interval', '1s'] });

let config: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
const aborts: AbortController[] = [];

beforeAll(async () => {
  config = new KubeConfig();
  config.loadFromFile(fixture().cluster.adminKubeconfig);
  core = config.makeApiClient(CoreV1Api);
  apps = config.makeApiClient(AppsV1Api);
  for (const name of ['client-node', 'client-node-informer', 'client-node-elsewhere']) await core.createNamespace({ body: { metadata: { name } } });
});
afterAll(() => {
  for (const abort of aborts) abort.abort();
});

const NAMESPACE = 'client-node';

function configMap(name: string, data: Record<string, string>, namespace = NAMESPACE): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** The HTTP status a client-node call failed with (ApiException.code), or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

describe('@kubernetes/client-node against Skiff', () => {
  test('lists, creates, patches with every PatchStrategy, reads back and deletes a ConfigMap', async () => {
    expect((await core.listNamespacedPod({ namespace: NAMESPACE })).items).toEqual([]);
    const created = await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: configMap('settings', { color: 'blue' }) });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const listed = await core.listNamespacedConfigMap({ namespace: NAMESPACE });
    expect(listed.items.map((item) => item.metadata?.name)).toEqual(['settings']);
    expect(Number(listed.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata?.resourceVersion));

    const patch = (body: unknown, strategy: PatchStrategy, extra: { fieldManager?: string; force?: boolean } = {}) =>
      core.patchNamespacedConfigMap({ name: 'settings', namespace: NAMESPACE, body, ...extra }, setHeaderOptions('Content-Type', strategy));
    await patch([{ op: 'add', path: '/data/size', value: 'large' }], PatchStrategy.JsonPatch);
    await patch({ data: { color: 'green' } }, PatchStrategy.MergePatch);
    await patch({ metadata: { labels: { tier: 'web' } }, data: { shape: 'round' } }, PatchStrategy.StrategicMergePatch);
    const applied = await patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { owner: 'tests' } }, PatchStrategy.ServerSideApply, {
      fieldManager: 'client-node-test',
      force: true,
    });
    expect(applied.metadata?.managedFields?.map((entry) => entry.manager)).toContain('client-node-test');

    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: NAMESPACE });
    expect(read.data).toEqual({ color: 'green', size: 'large', shape: 'round', owner: 'tests' });
    expect(read.metadata?.labels).toEqual({ tier: 'web' });

    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: NAMESPACE });
    expect(await outcome(core.readNamespacedConfigMap({ name: 'settings', namespace: NAMESPACE }))).toBe(404);
  });

  test('creates a Deployment and patches it with each PatchStrategy, the strategic merge by container name', async () => {
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NAMESPACE },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } },
      },
    };
    await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: deployment });
    const patch = (body: unknown, strategy: PatchStrategy, extra: { fieldManager?: string; force?: boolean } = {}) =>
      apps.patchNamespacedDeployment({ name: 'web', namespace: NAMESPACE, body, ...extra }, setHeaderOptions('Content-Type', strategy));
    await patch([{ op: 'replace', path: '/spec/replicas', value: 2 }], PatchStrategy.JsonPatch);
    await patch({ metadata: { annotations: { owner: 'tests' } } }, PatchStrategy.MergePatch);
    // A strategic merge patch merges the container named "main" (keeping its command); a merge patch would replace the list.
    await patch({ spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } } }, PatchStrategy.StrategicMergePatch);
    await patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, PatchStrategy.ServerSideApply, {
      fieldManager: 'client-node-test',
      force: true,
    });

    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NAMESPACE });
    expect(read.spec?.replicas).toBe(3);
    expect(read.metadata?.annotations).toMatchObject({ owner: 'tests' });
    expect(read.spec?.template.spec?.containers).toMatchObject([{ name: 'main', image: 'busybox:1.37', command: ['sleep', '3600'] }]);
    const deployments = await apps.listNamespacedDeployment({ namespace: NAMESPACE });
    expect(deployments.items.map((item) => item.metadata?.name)).toEqual(['web']);

    await apps.deleteNamespacedDeployment({ name: 'web', namespace: NAMESPACE });
    await waitFor(async () => (await outcome(apps.readNamespacedDeployment({ name: 'web', namespace: NAMESPACE }))) === 404, {
      timeoutMs: 30_000,
      description: 'the deployment to be gone',
    });
  });

  test('KubernetesObjectApi finds kinds by discovery and creates, reads, applies, lists and deletes any of them', async () => {
    expect((await config.makeApiClient(VersionApi).getCode()).gitVersion).toMatch(/^v1\.\d+/);
    const objects = KubernetesObjectApi.makeApiClient(config);
    const spec = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: NAMESPACE }, data: { a: '1' } };
    const created: KubernetesObject = await objects.create(spec);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    const applied = await objects.patch<V1ConfigMap>({ ...spec, data: { a: '2' } }, undefined, undefined, 'client-node-test', true, PatchStrategy.ServerSideApply);
    expect(applied.data).toEqual({ a: '2' });
    expect((await objects.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: NAMESPACE } })).data).toEqual({ a: '2' });
    const listed = await objects.list('v1', 'ConfigMap', NAMESPACE);
    expect(listed.items.map((item) => item.metadata?.name)).toContain('generic');
    // A group kind too: discovery of apps/v1.
    const deployments = await objects.list('apps/v1', 'Deployment', NAMESPACE);
    expect(deployments.items).toBeInstanceOf(Array);
    await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: NAMESPACE } });
    expect(await outcome(objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: NAMESPACE } }))).toBe(404);
  });

  test("Watch gets BOOKMARKs that move with writes elsewhere, and sendInitialEvents' end-of-initial-events bookmark", async () => {
    const namespace = 'client-node-elsewhere';
    await core.createNamespacedConfigMap({ namespace, body: configMap('present', { a: '1' }, namespace) });
    const events: { type: string; object: KubernetesObject }[] = [];
    const ended: unknown[] = [];
    const watch = new Watch(config);
    aborts.push(
      await watch.watch(
        `/api/v1/namespaces/${namespace}/configmaps`,
        { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' },
        (type, object: KubernetesObject) => events.push({ type, object }),
        (error) => ended.push(error),
      ),
    );
    const initialEnd = await waitFor(() => events.find((event) => event.type === 'BOOKMARK'), { timeoutMs: 10_000, description: 'the initial-events-end bookmark' });
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'present' } } });
    expect(initialEnd.object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: initialEnd.object.metadata?.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
    // A write this watch does not see: a later bookmark still carries its revision.
    const other = await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: configMap('unseen', { a: '1' }) });
    const later = await waitFor(
      () => events.find((event) => event.type === 'BOOKMARK' && Number(event.object.metadata?.resourceVersion) >= Number(other.metadata?.resourceVersion)),
      { timeoutMs: 10_000, description: 'a bookmark at or past the unseen write' },
    );
    expect(later.object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: later.object.metadata?.resourceVersion } });
    expect(events.filter((event) => event.type !== 'BOOKMARK').map((event) => event.object.metadata?.name)).toEqual(['present']);
    expect(ended).toEqual([]);
  });

  test('an informer follows ConfigMaps, and after a compaction relists on 410 to exactly what exists', async () => {
    const namespace = 'client-node-informer';
    await core.createNamespacedConfigMap({ namespace, body: configMap('keep', { v: '1' }, namespace) });
    await core.createNamespacedConfigMap({ namespace, body: configMap('gone', { v: '1' }, namespace) });
    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(config, `/api/v1/namespaces/${namespace}/configmaps`, () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace });
    });
    const seen: string[] = [];
    informer.on('add', (object) => seen.push(`add ${object.metadata?.name}`));
    informer.on('update', (object) => seen.push(`update ${object.metadata?.name}=${object.data?.['v']}`));
    informer.on('delete', (object) => seen.push(`delete ${object.metadata?.name}`));
    // As client-node's documentation has it: an informer stops on an error, and its user starts it again after a delay.
    // stop() itself ends in an error (the aborted request), so it restarts only while it is meant to run.
    let running = true;
    const errors: unknown[] = [];
    informer.on('error', (error) => {
      errors.push(error);
      if (running) setTimeout(() => void (running && informer.start()), 500);
    });
    const names = () => informer.list(namespace).map((object) => `${object.metadata?.name}=${object.data?.['v']}`).sort();
    const existing = async () => (await core.listNamespacedConfigMap({ namespace })).items.map((item) => `${item.metadata?.name}=${item.data?.['v']}`).sort();
    try {
      await informer.start();
      await waitFor(() => names().length === 2, { timeoutMs: 10_000, description: 'the informer to list two ConfigMaps' });

      // Live changes arrive as ADDED, MODIFIED and DELETED.
      await core.createNamespacedConfigMap({ namespace, body: configMap('live', { v: '1' }, namespace) });
      await core.patchNamespacedConfigMap({ name: 'keep', namespace, body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'gone', namespace });
      await waitFor(() => seen.length === 5, { timeoutMs: 10_000, description: 'three live changes' });
      expect(seen).toEqual(['add gone', 'add keep', 'add live', 'update keep=2', 'delete gone']);
      expect(names()).toEqual(await existing());

      // Stopped, its resourceVersion falls behind changes and a compaction.
      running = false;
      await informer.stop();
      // makeInformer's informer is a ListWatch, which says the resourceVersion it would watch from.
      expect(informer).toBeInstanceOf(ListWatch);
      const stale = (informer as ListWatch<V1ConfigMap>).latestResourceVersion();
      expect(Number(stale)).toBeGreaterThan(0);
      await core.createNamespacedConfigMap({ namespace, body: configMap('born', { v: '1' }, namespace) });
      await core.deleteNamespacedConfigMap({ name: 'live', namespace });
      await core.patchNamespacedConfigMap({ name: 'keep', namespace, body: { data: { v: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      let i = 0;
      await waitFor(
        async () => {
          // Writes elsewhere go on; an interval or two later, the control plane has compacted history from before them.
          await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: configMap(`churn-${++i}`, { i: String(i) }) });
          const probe = await restRequest(fixture().cluster, 'GET', `/api/v1/namespaces/${namespace}/configmaps?watch=true&resourceVersion=${stale}`, { untilMs: 2_000 });
          return probe.text.includes('"code":410');
        },
        { timeoutMs: 60_000, intervalMs: 500, description: "the informer's resourceVersion to be compacted away" },
      );

      running = true;
      const listsBefore = lists;
      await informer.start();
      await waitFor(async () => JSON.stringify(names()) === JSON.stringify(await existing()), {
        timeoutMs: 30_000,
        description: "the informer's cache to match the ConfigMaps that exist",
      });
      expect(names()).toEqual(['born=1', 'keep=3']);
      // It got there by listing again (the 410), not by replaying the changes.
      expect(lists).toBe(listsBefore + 1);
      expect(seen.slice(5)).toEqual(expect.arrayContaining(['add born', 'update keep=3', 'delete live']));

      // And it watches on from the new list.
      await core.createNamespacedConfigMap({ namespace, body: configMap('after', { v: '1' }, namespace) });
      await waitFor(() => names().includes('after=1'), { timeoutMs: 10_000, description: 'a change after the relist' });
      // The 410 never reached the error handler (the informer relisted by itself); stop()'s aborted request did.
      expect(errors.map((error) => (error as Error).name)).toEqual(['AbortError']);
    } finally {
      running = false;
      await informer.stop();
    }
  });
});
