import { status } from '@grpc/grpc-js';
import type { ApiClient } from '@skiff/api/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ReferencedObjects } from './referenced-objects.js';

/** An Api client whose Get answers from `store` (NotFound when absent) or fails while `down`. */
function fakeClient(store: Map<string, { resourceVersion: string; data: Record<string, string> }>, state: { down: boolean; gets: number }): ApiClient {
  return {
    Get: (request: { ref: { kind: string; namespace: string; name: string } }, _options: unknown, callback: (error: unknown, value?: unknown) => void) => {
      state.gets += 1;
      if (state.down) return callback(Object.assign(new Error('unavailable'), { code: status.UNAVAILABLE }));
      const found = store.get(`${request.ref.kind}/${request.ref.name}`);
      if (!found) return callback(Object.assign(new Error('not found'), { code: status.NOT_FOUND, details: 'not found' }));
      const object = { apiVersion: 'v1', kind: request.ref.kind, metadata: { name: request.ref.name, namespace: request.ref.namespace, resourceVersion: found.resourceVersion }, data: found.data };
      callback(null, { object_json: JSON.stringify(object) });
    },
  } as unknown as ApiClient;
}

describe('the ConfigMaps and Secrets pods reference', () => {
  it('caches reads for the poll period, tells one change per refresh, keeps the last known object while the control plane is away, and forgets unused ones', async () => {
    let now = 0;
    let changes = 0;
    const store = new Map<string, { resourceVersion: string; data: Record<string, string> }>([['ConfigMap/app', { resourceVersion: '1', data: { a: '1' } }]]);
    const state = { down: false, gets: 0 };
    const objects = new ReferencedObjects({ client: () => fakeClient(store, state), onChange: () => (changes += 1), pollMs: 1000, forgetMs: 5000, now: () => now, log: pino({ level: 'silent' }) });

    expect((await objects.configMap('default', 'app'))?.data).toEqual({ a: '1' });
    expect(await objects.secret('default', 'missing')).toBeUndefined();
    expect(await objects.configMap('default', 'app')).toBeDefined();
    expect(state.gets).toBe(2);

    await objects.refresh();
    expect(changes).toBe(0);
    store.set('ConfigMap/app', { resourceVersion: '2', data: { a: '2' } });
    store.set('Secret/missing', { resourceVersion: '3', data: {} });
    await objects.refresh();
    expect(changes).toBe(1);
    now = 500;
    expect((await objects.configMap('default', 'app'))?.data).toEqual({ a: '2' });
    expect(await objects.secret('default', 'missing')).toBeDefined();

    state.down = true;
    now = 2000;
    expect((await objects.configMap('default', 'app'))?.data).toEqual({ a: '2' });
    await expect(objects.configMap('default', 'never-seen')).rejects.toThrow('unavailable');
    await objects.refresh();
    expect(changes).toBe(1);

    state.down = false;
    now = 10_000;
    const before = state.gets;
    await objects.refresh();
    expect(state.gets).toBe(before);
    expect(changes).toBe(1);
  });
});
