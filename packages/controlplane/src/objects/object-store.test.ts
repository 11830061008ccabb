import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, type Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { MemoryStore, WatchCache } from '../store/index.js';
import { ObjectStore, type ObjectEvent } from './object-store.js';

const POD = kindInfo('Pod');
const SOON = { timeoutMs: 5_000, intervalMs: 5 };

function pod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [{ name: 'c', image: 'busybox:1' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
  };
}

let store: MemoryStore;
let objects: ObjectStore;

beforeEach(() => {
  store = new MemoryStore();
  objects = new ObjectStore(store);
});

afterEach(async () => {
  await store.close();
});

describe('ObjectStore.watch', () => {
  it('reports adds, updates with their previous object, and deletes with the last stored object', async () => {
    const events: ObjectEvent[] = [];
    const start = await store.currentRevision();
    const handle = objects.watch(POD, 'default', start, { onEvent: (e) => events.push(e), onCompacted() {}, onError() {} });
    const created = await objects.create(POD, pod('a'));
    const updated = await objects.update(POD, { ...created, metadata: { ...created.metadata, labels: { x: '1' } } }, Number(created.metadata.resourceVersion));
    const deletedAt = await objects.delete(POD, 'default', 'a', Number(updated.metadata.resourceVersion));
    await waitFor(() => events.length === 3, { ...SOON, description: 'three events' });
    await handle.close();
    expect(events.map((e) => [e.type, e.revision])).toEqual([
      ['ADDED', Number(created.metadata.resourceVersion)],
      ['MODIFIED', Number(updated.metadata.resourceVersion)],
      ['DELETED', deletedAt],
    ]);
    expect(events[1]?.previous?.metadata.labels).toBeUndefined();
    expect(events[2]?.object.metadata.labels).toEqual({ x: '1' });
  });

  it('ends as compacted, never as an error, when a deleted object\'s last value was compacted away', async () => {
    const created = await objects.create(POD, pod('gone'));
    const deletedAt = await objects.delete(POD, 'default', 'gone', Number(created.metadata.resourceVersion));
    await store.compact(deletedAt);
    const seen: string[] = [];
    const handle = objects.watch(POD, 'default', deletedAt - 1, {
      onEvent: (e) => seen.push(`event ${e.type}`),
      onCompacted: (revision) => seen.push(`compacted ${revision}`),
      onError: (error) => seen.push(`error ${error.message}`),
    });
    await waitFor(() => seen.length > 0, { ...SOON, description: 'the watch to end' });
    await objects.create(POD, pod('later'));
    await handle.close();
    expect(seen).toEqual([`compacted ${deletedAt - 1}`]);
  });
});

describe('watches over the watch cache', () => {
  it('decode each event once, however many watch it', async () => {
    const cache = new WatchCache(store);
    const cached = new ObjectStore(cache);
    const seen: ObjectEvent[][] = [[], [], []];
    const revision = (await cached.list(POD, undefined)).revision;
    const live = seen.map((events) =>
      cached.watch(POD, undefined, revision, { onEvent: (event) => events.push(event), onCompacted() {}, onError() {} }),
    );
    await cached.create(POD, pod('shared'));
    await waitFor(() => seen.every((events) => events.length === 1), { ...SOON, description: 'the create in all three watches' });
    expect(seen[1]![0]!.object).toBe(seen[0]![0]!.object);
    expect(seen[2]![0]!.object).toBe(seen[0]![0]!.object);
    expect(seen[0]![0]!.object.metadata.name).toBe('shared');
    for (const handle of live) await handle.close();
    await cache.close();
  });
});
