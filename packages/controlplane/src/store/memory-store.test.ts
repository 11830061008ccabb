// What only MemoryStore has: a clock a test drives. The Store contract it
// shares with EtcdStore is in store-contract.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '@skiff/api';
import { ManualClock } from './memory-clock.js';
import { MemoryStore } from './memory-store.js';
import type { StoreEvent } from './store.js';

function watchAll(store: MemoryStore, afterRevision: number): StoreEvent[] {
  const events: StoreEvent[] = [];
  store.watch('/', afterRevision, {
    onEvent: (event) => events.push(event),
    onCompacted: (revision) => events.push({ type: 'delete', key: `compacted at ${revision}`, modRevision: revision }),
    onError: (error) => {
      throw error;
    },
  });
  return events;
}

describe('MemoryStore on a driven clock', () => {
  it('expires a lease at its deadline, which each renewal pushes back; watches see the deletes', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const lease = await store.grantLease(10);
    const created = await store.create('/k', 'v', { lease });
    const events = watchAll(store, created);

    clock.advance(9_999);
    await store.keepAliveLease(lease);
    clock.advance(9_999);
    expect(await store.get('/k')).toBeDefined();
    expect(events).toEqual([]);

    // Due now; the delete reaches the watch on the next (1 ms) timer.
    clock.advance(2);
    expect(events).toStrictEqual([
      { type: 'delete', key: '/k', modRevision: created + 1, prev: { key: '/k', value: 'v', modRevision: created, createRevision: created, lease } },
    ]);
    await expect(store.get('/k')).resolves.toBeUndefined();
    await expect(store.keepAliveLease(lease)).rejects.toBeInstanceOf(NotFoundError);
    await store.close();
  });

  it("grants a lease shorter than etcd's minimum TTL (2 s) for the minimum, unless told otherwise", async () => {
    const clock = new ManualClock();
    const etcdLike = new MemoryStore({ clock });
    const quick = new MemoryStore({ clock, minLeaseTtlSeconds: 1 });
    await etcdLike.create('/k', 'v', { lease: await etcdLike.grantLease(1) });
    await quick.create('/k', 'v', { lease: await quick.grantLease(1) });

    clock.advance(1_000);
    expect(await etcdLike.get('/k')).toBeDefined();
    expect(await quick.get('/k')).toBeUndefined();
    clock.advance(1_000);
    expect(await etcdLike.get('/k')).toBeUndefined();
    await Promise.all([etcdLike.close(), quick.close()]);
  });

  it('expires a lease at the next call when only `now` has moved', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const lease = await store.grantLease(5);
    await store.create('/k', 'v', { lease });
    clock.jump(5_000);
    await expect(store.keepAliveLease(lease)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.get('/k')).resolves.toBeUndefined();
    await store.close();
  });

  it('delivers events on the clock, after the write has returned, never inside it', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const events = watchAll(store, await store.currentRevision());
    const writing = store.create('/k', 'v');
    expect(events).toEqual([]);
    const revision = await writing;
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toStrictEqual([{ type: 'put', kv: { key: '/k', value: 'v', modRevision: revision, createRevision: revision } }]);
    await store.close();
  });

  it('delivers what a handler writes in the next round, so a handler that writes on every event cannot hang it', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    let written = 0;
    store.watch('/', await store.currentRevision(), {
      onEvent: () => void store.create(`/k${++written}`, 'v'),
      onCompacted: () => undefined,
      onError: (error) => {
        throw error;
      },
    });
    await store.create('/k0', 'v');
    clock.advance(1);
    expect(written).toBe(1);
    clock.advance(1);
    expect(written).toBe(2);
    await store.close();
  });

  it('hands out copies: changing what it returned changes nothing stored', async () => {
    const store = new MemoryStore();
    await store.create('/k', 'v');
    const kv = await store.get('/k');
    (kv as { value: string }).value = 'changed';
    expect((await store.get('/k'))?.value).toBe('v');
    await store.close();
  });

  it('gives int64 lease ids beyond Number precision, as etcd does', async () => {
    const store = new MemoryStore();
    const lease = await store.grantLease(60);
    expect(BigInt(lease)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    await store.close();
  });
});

describe('MemoryStore under vi.useFakeTimers()', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lives by the fake clock with its default clock', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore();
    const events = watchAll(store, await store.create('/k', 'v', { lease: await store.grantLease(5) }));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(events).toEqual([]);
    // The fake timers alone expire the lease and deliver the delete (on a
    // 0 ms timer, which Node runs 1 ms later): no call to the store needed.
    await vi.advanceTimersByTimeAsync(2);
    expect(events.map((event) => event.type)).toEqual(['delete']);
    await store.close();
  });
});
