// Apply reads the stored object and its namespace from the watch cache first
// (ReadOptions minRevision 0). A stale cache must never change an answer:
// here the cache is a snapshot frozen before the changes each test makes.
import { beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, PermissionDeniedError } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore, type KeyValue, type ReadOptions, type Store } from '../store/index.js';
import { ApiService } from './api-service.js';

let memory: MemoryStore;
let api: ApiService;
let snapshot = new Map<string, KeyValue>();

/** Takes the "cache" snapshot now: reads that accept any freshness see only this from here on. */
async function freezeCache(): Promise<void> {
  snapshot = new Map((await memory.list('')).items.map((kv) => [kv.key, kv]));
}

function configMap(name: string, data: Record<string, string>, namespace = 'default'): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
}

beforeEach(async () => {
  memory = new MemoryStore();
  const stale: Store = new Proxy(memory, {
    get: (target, property, receiver) =>
      property === 'get'
        ? async (key: string, options?: ReadOptions) => (options?.minRevision === undefined ? target.get(key) : snapshot.get(key))
        : Reflect.get(target, property, receiver),
  });
  api = new ApiService(new ObjectStore(stale));
  await api.ensureBuiltinNamespaces();
  await freezeCache();
});

describe('apply over a stale watch cache', () => {
  it('updates an object the cache has at an older version, or does not have yet', async () => {
    await api.apply(configMap('a', { v: '1' }));
    await freezeCache();
    await api.apply(configMap('a', { v: '2' }));
    await api.apply(configMap('b', { v: '1' }));
    // The cache has a@1 and no b.
    await expect(api.apply(configMap('a', { v: '3' }))).resolves.toMatchObject({ outcome: 'configured', object: { data: { v: '3' } } });
    await expect(api.apply(configMap('b', { v: '2' }))).resolves.toMatchObject({ outcome: 'configured', object: { data: { v: '2' } } });
  });

  it('creates an object the cache still has after it was deleted', async () => {
    await api.apply(configMap('gone', { v: '1' }));
    await freezeCache();
    await api.delete({ kind: 'ConfigMap', namespace: 'default', name: 'gone' });
    await expect(api.apply(configMap('gone', { v: '2' }))).resolves.toMatchObject({ outcome: 'created' });
  });

  it('authorizes by what etcd holds, not by the cached copy', async () => {
    await api.apply(configMap('gone', { v: '1' }));
    await freezeCache();
    await api.delete({ kind: 'ConfigMap', namespace: 'default', name: 'gone' });
    const createOnly = {
      authorize: (verb: 'create' | 'update') => {
        if (verb !== 'create') throw new PermissionDeniedError('may only create');
      },
    };
    // The cache still has it (an update, refused); etcd does not (a create, allowed).
    await expect(api.apply(configMap('gone', { v: '2' }), createOnly)).resolves.toMatchObject({ outcome: 'created' });
    await expect(rejectionOf(api.apply(configMap('gone', { v: '3' }), createOnly), PermissionDeniedError)).resolves.toBeDefined();
  });

  it('answers "unchanged" only when etcd agrees, not because the cached copy matches', async () => {
    await api.apply(configMap('c', { v: '1' }));
    await freezeCache();
    await api.apply(configMap('c', { v: '2' }));
    await expect(api.apply(configMap('c', { v: '1' }))).resolves.toMatchObject({ outcome: 'configured', object: { data: { v: '1' } } });
    await expect(api.apply(configMap('c', { v: '1' }))).resolves.toMatchObject({ outcome: 'unchanged' });
  });

  it('finds a namespace the cache has not seen yet, and refuses one the cache has as terminating', async () => {
    await api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } }));
    await expect(api.apply(configMap('x', { v: '1' }, 'fresh'))).resolves.toMatchObject({ outcome: 'created' });

    await api.delete({ kind: 'Namespace', name: 'fresh' });
    await api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'closing' } }));
    await api.apply(configMap('keep', { v: '1' }, 'closing'));
    const stored = (await memory.get('/skiff/namespaces/closing'))!;
    const terminating = JSON.parse(stored.value);
    terminating.status = { phase: 'Terminating' };
    await memory.update(stored.key, JSON.stringify(terminating), stored.modRevision);
    await freezeCache();
    const refused = await rejectionOf(api.apply(configMap('y', { v: '1' }, 'closing')), FailedPreconditionError);
    expect(refused.message).toBe('namespace "closing" is being deleted; nothing new can be created in it');
  });
});
