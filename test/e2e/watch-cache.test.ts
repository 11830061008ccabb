// The API server's read path and write path on a real etcd: lists and watches
// come from the watch cache and stay exact under concurrent writers and
// across an etcd compaction; a watch older than the cache's window is told to
// relist; concurrent creates (group-committed) all land once, with their
// compare-and-swap semantics.
import { status, type ServiceError } from '@grpc/grpc-js';
import type { ResourceObject } from '@skiff/api';
import { EtcdStore } from '@skiff/controlplane';
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';

const WINDOW = 200;
// No compactor: only this file compacts etcd, so what a watch sees is the cache's doing.
const fixture = useCluster({ controlPlaneArgs: ['--watch-cache-size', String(WINDOW), '--etcd-compaction-interval', '0'] });

const CONFIGMAPS = { kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' };

function configMap(name: string, data: Record<string, string>, resourceVersion?: string): ResourceObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels: { suite: 'watch-cache' }, ...(resourceVersion ? { resourceVersion } : {}) },
    data,
  } as unknown as ResourceObject;
}

interface Mirror {
  /** name → data.i as the watch last saw it. */
  readonly objects: Map<string, string>;
  readonly revisions: number[];
  ended?: ServiceError;
  cancel(): void;
}

/** Keeps a copy of the configmaps from a list and a watch from its revision, as a client-go informer does. */
function mirror(api: ReturnType<typeof fixture>['api'], listed: { items: ResourceObject[]; resourceVersion: string }): Mirror {
  const objects = new Map<string, string>();
  for (const item of listed.items) objects.set(item.metadata.name, (item as unknown as { data: { i: string } }).data.i);
  const result: Mirror = { objects, revisions: [], cancel: () => stream.cancel() };
  const stream = api.watch(CONFIGMAPS, listed.resourceVersion);
  stream.on('data', (event: { type: string; object_json: string; resource_version: string }) => {
    const object = JSON.parse(event.object_json) as { metadata: { name: string }; data: { i: string } };
    result.revisions.push(Number(event.resource_version));
    if (event.type === 'DELETED') objects.delete(object.metadata.name);
    else objects.set(object.metadata.name, object.data.i);
  });
  stream.on('error', (error: ServiceError) => {
    if (error.code !== status.CANCELLED) result.ended = error;
  });
  return result;
}

function dataOf(items: ResourceObject[]): Map<string, string> {
  return new Map(items.map((item) => [item.metadata.name, (item as unknown as { data: { i: string } }).data.i]));
}

describe('the watch cache and group commit, through the real API on etcd', () => {
  test('list + watch from the cache stays exact under concurrent writers and across an etcd compaction', async () => {
    const { api, cluster } = fixture();
    const watcher = mirror(api, await api.list(CONFIGMAPS));
    const writers = 8;
    const rounds = 15;
    const write = async (writer: number, round: number): Promise<void> => {
      await api.apply(configMap(`mirror-${writer}`, { i: String(round) }), { strict: false, dryRun: false });
    };
    try {
      for (let round = 0; round < rounds; round++) {
        await Promise.all(Array.from({ length: writers }, (_, writer) => write(writer, round)));
        if (round === 7) {
          // etcd compacted under the cache (as another control plane or etcdctl may do): nothing changes for clients.
          const store = await EtcdStore.connect({ endpoints: [cluster.etcd.endpoint] });
          try {
            await store.compact(await store.currentRevision());
          } finally {
            await store.close();
          }
        }
      }
      const consistent = await api.list(CONFIGMAPS);
      // Every write's event, up to the list's revision: a group commit puts several writes in one
      // revision and each is its own message, so the first event of the last revision is not the end.
      await waitFor(
        () => (watcher.revisions.length >= writers * rounds && watcher.revisions.at(-1) === Number(consistent.resourceVersion)) || watcher.ended !== undefined,
        { timeoutMs: 30_000, description: `the watch to reach the consistent list (${writers * rounds} events up to revision ${consistent.resourceVersion})` },
      );
      expect(watcher.ended).toBeUndefined();
      expect(watcher.objects).toEqual(dataOf(consistent.items));
      for (let writer = 0; writer < writers; writer++) expect(watcher.objects.get(`mirror-${writer}`)).toBe(String(rounds - 1));
      // In revision order; several events may share one revision (a group commit).
      expect([...watcher.revisions].sort((a, b) => a - b)).toEqual(watcher.revisions);
      expect(watcher.revisions).toHaveLength(writers * rounds);
      // "0" is served from the cache: never newer than what a consistent list returned after it.
      const any = await api.list({ ...CONFIGMAPS, resourceVersion: '0' });
      expect(Number(any.resourceVersion)).toBeGreaterThanOrEqual(Number(consistent.resourceVersion));
      expect(dataOf(any.items)).toEqual(dataOf(consistent.items));
    } finally {
      watcher.cancel();
    }
  });

  test('a watch from before the cache\'s window gets OUT_OF_RANGE and relisting recovers', async () => {
    const { api } = fixture();
    const old = await api.list(CONFIGMAPS);
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(Array.from({ length: WINDOW / 4 }, (_, i) => api.apply(configMap(`churn-${i}`, { i: String(batch) }), { strict: false, dryRun: false })));
    }
    const tooOld = mirror(api, old);
    await waitFor(() => tooOld.ended !== undefined, { timeoutMs: 30_000, description: 'the too-old watch to end' });
    expect(tooOld.ended?.code).toBe(status.OUT_OF_RANGE);
    expect(tooOld.ended?.details).toMatch(/resourceVersion \d+ is too old .*list again/);
    expect(tooOld.revisions).toEqual([]);

    const relisted = mirror(api, await api.list(CONFIGMAPS));
    try {
      const written = await api.apply(configMap('churn-0', { i: 'after' }), { strict: false, dryRun: false });
      await waitFor(() => relisted.objects.get('churn-0') === 'after', { timeoutMs: 30_000, description: 'the relisted watch to see a new write' });
      expect(relisted.revisions).toEqual([Number(written.object.metadata.resourceVersion)]);
    } finally {
      relisted.cancel();
    }
  });

  test('concurrent creates all land once; concurrent writes naming one resourceVersion: exactly one wins', async () => {
    const { api } = fixture();
    const count = 200;
    const created = await Promise.all(
      Array.from({ length: count }, (_, i) => api.apply(configMap(`many-${i}`, { i: String(i) }), { strict: false, dryRun: false })),
    );
    expect(created.map((answer) => answer.outcome)).toEqual(Array.from({ length: count }, () => 'created'));
    const listed = (await api.list(CONFIGMAPS)).items.filter((item) => item.metadata.name.startsWith('many-'));
    expect(listed).toHaveLength(count);
    for (const answer of created) {
      const stored = listed.find((item) => item.metadata.name === answer.object.metadata.name);
      expect(stored?.metadata.resourceVersion).toBe(answer.object.metadata.resourceVersion);
      expect(stored?.metadata.uid).toBe(answer.object.metadata.uid);
    }
    // Grouped: far fewer distinct revisions than creates.
    expect(new Set(created.map((answer) => answer.object.metadata.resourceVersion)).size).toBeLessThan(count);

    const base = created[0]!.object;
    const contenders = 20;
    const outcomes = await Promise.allSettled(
      Array.from({ length: contenders }, (_, i) =>
        api.apply(configMap(base.metadata.name, { i: `contender-${i}` }, base.metadata.resourceVersion), { strict: false, dryRun: false }),
      ),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect((outcome.reason as ServiceError).code).toBe(status.ABORTED);
    }
    const winner = (won[0] as PromiseFulfilledResult<{ object: ResourceObject }>).value.object as unknown as { data: { i: string } };
    const stored = (await api.get({ kind: 'configmaps', namespace: 'default', name: base.metadata.name })) as unknown as { data: { i: string } };
    expect(stored.data.i).toBe(winner.data.i);
  });
});
