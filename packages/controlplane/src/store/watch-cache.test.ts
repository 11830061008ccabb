// What the WatchCache adds to the Store contract (which it passes in
// store-contract.test.ts): reads served from memory at a revision, the
// freshness rules of ReadOptions, the window of recent events, and relisting
// when its own upstream watch is compacted away.
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { MemoryStore } from './memory-store.js';
import { ForwardingStore } from './forwarding-store.js';
import type { Store, StoreEvent, WatchCallbacks, WatchHandle, WatchOptions } from './store.js';
import { WatchCache } from './watch-cache.js';

/** A MemoryStore whose watches hold their events until release(): an upstream that lags on demand. */
function laggingStore() {
  const memory = new MemoryStore();
  let holding = false;
  const held: (() => void)[] = [];
  let latest: WatchCallbacks | undefined;
  const watch = (prefix: string, afterRevision: number, callbacks: WatchCallbacks) => {
    latest = callbacks;
    return memory.watch(prefix, afterRevision, {
      onEvent: (event) => (holding ? held.push(() => callbacks.onEvent(event)) : callbacks.onEvent(event)),
      onCompacted: (revision) => (holding ? held.push(() => callbacks.onCompacted(revision)) : callbacks.onCompacted(revision)),
      onError: (error) => callbacks.onError(error),
    });
  };
  const store: Store = new Proxy(memory, {
    get: (target, property, receiver) => (property === 'watch' ? watch : Reflect.get(target, property, receiver)),
  });
  return {
    store,
    memory,
    hold: () => void (holding = true),
    /** What etcd does to a watch that lags behind a compaction: cancel it, naming the compact revision. */
    cancelForCompaction: (revision: number) => {
      held.splice(0);
      holding = false;
      latest?.onCompacted(revision);
    },
    release: () => {
      holding = false;
      for (const deliver of held.splice(0)) deliver();
    },
  };
}

function collect(cache: Store, prefix: string, after: number) {
  const events: string[] = [];
  const compacted: number[] = [];
  const handle = cache.watch(prefix, after, {
    onEvent: (event: StoreEvent) => events.push(event.type === 'put' ? `${event.kv.key}=${event.kv.value}@${event.kv.modRevision}` : `-${event.key}@${event.modRevision}`),
    onCompacted: (revision) => compacted.push(revision),
    onError: (error) => {
      throw error;
    },
  });
  return { events, compacted, handle };
}

describe('WatchCache', () => {
  it('serves lists from memory, in key order, at the revision it reached', async () => {
    const memory = new MemoryStore();
    await memory.create('/a/2', 'x');
    const cache = new WatchCache(memory);
    await memory.create('/a/1', 'y');
    const last = await memory.create('/b/1', 'z');
    const listed = await cache.list('/a/');
    expect(listed.items.map((kv) => `${kv.key}=${kv.value}`)).toEqual(['/a/1=y', '/a/2=x']);
    expect(listed.revision).toBe(last);
    expect(cache.revision).toBe(last);
    await cache.close();
  });

  it('waits for etcd\'s current revision on a consistent read; "0" answers with what it has', async () => {
    const lagging = laggingStore();
    const cache = new WatchCache(lagging.store);
    await cache.list('/');
    lagging.hold();
    const revision = await lagging.memory.create('/k', 'v');

    const any = await cache.list('/', { minRevision: 0 });
    expect(any.items).toEqual([]);
    expect(any.revision).toBeLessThan(revision);

    let consistent: string[] | undefined;
    const reading = cache.list('/').then((result) => (consistent = result.items.map((kv) => kv.key)));
    const atLeast = cache.get('/k', { minRevision: revision });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(consistent).toBeUndefined(); // still waiting for the cache to reach the revision
    lagging.release();
    await reading;
    expect(consistent).toEqual(['/k']);
    expect((await atLeast)?.value).toBe('v');
    await cache.close();
  });

  it('holds only its keyspace: writes elsewhere move its revision on, and reads outside it go to the store', async () => {
    const lagging = laggingStore();
    const before = await lagging.memory.create('/other/before', 'o');
    const cache = new WatchCache(lagging.store, { keyspace: '/skiff/' });
    await lagging.memory.create('/skiff/a', '1');
    await cache.list('/skiff/');
    const inner = collect(cache, '/other/', 0);
    const last = await lagging.memory.create('/other/after', 'p');
    // A consistent read whose current revision is another tenant's write is answered from memory.
    const listed = await cache.list('/skiff/');
    expect(listed.items.map((kv) => kv.key)).toEqual(['/skiff/a']);
    expect(listed.revision).toBe(last);
    expect(cache.windowLength).toBe(1); // the /skiff/ write; the /other/ one is not kept
    // Outside the keyspace the store answers, whatever the cache holds.
    lagging.hold();
    const later = await lagging.memory.create('/other/held', 'q');
    expect((await cache.list('/other/')).items.map((kv) => kv.key)).toEqual(['/other/after', '/other/before', '/other/held']);
    expect((await cache.get('/other/held', { minRevision: later }))?.value).toBe('q');
    lagging.release();
    await waitFor(() => inner.events.length === 3, { timeoutMs: 2_000, description: 'the /other/ watch, served by the store, to see its three writes' });
    expect(inner.events).toEqual([`/other/before=o@${before}`, `/other/after=p@${last}`, `/other/held=q@${later}`]);
    await inner.handle.close();
    await cache.close();
  });

  it("gives an update the previous value it held, and asks its upstream watch for none (etcd would read each from disk)", async () => {
    const memory = new MemoryStore();
    const asked: (WatchOptions | undefined)[] = [];
    const upstream = new (class extends ForwardingStore {
      override watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks, options?: WatchOptions): WatchHandle {
        asked.push(options);
        return super.watch(prefix, afterRevision, callbacks, options);
      }
    })(memory);
    const cache = new WatchCache(upstream);
    const created = await memory.create('/k', 'v1');
    await cache.list('/');
    const held = await cache.get('/k', { minRevision: created });
    const prevs: unknown[] = [];
    const handle = cache.watch('/', created, { onEvent: (event) => prevs.push(event.prev), onCompacted: () => undefined, onError: () => undefined });
    await memory.update('/k', 'v2', created);
    await waitFor(() => prevs.length === 1, { timeoutMs: 2_000, description: 'the update' });
    expect(prevs[0]).toBe(held);
    expect(asked).toEqual([{ previous: false }]);
    await handle.close();
    await cache.close();
  });

  it('reads the inner store when the cache does not catch up in time', async () => {
    const lagging = laggingStore();
    const cache = new WatchCache(lagging.store, { freshnessTimeoutMs: 50 });
    await cache.list('/');
    lagging.hold();
    await lagging.memory.create('/k', 'v');
    expect((await cache.list('/')).items.map((kv) => kv.key)).toEqual(['/k']);
    expect(cache.windowLength).toBe(0); // nothing reached the cache: the answer came from the inner store
    lagging.release();
    await cache.close();
  });

  it('replays a watch from inside the window in order, and tells one older than the window to relist', async () => {
    const memory = new MemoryStore();
    const cache = new WatchCache(memory, { windowSize: 5 });
    const start = (await cache.list('/')).revision;
    const revisions: number[] = [];
    for (let i = 0; i < 10; i++) revisions.push(await cache.create(`/k${i}`, `v${i}`));
    await waitFor(() => cache.revision === revisions[9], { timeoutMs: 10_000, description: 'the cache to reach the last write' });
    expect(cache.windowLength).toBe(5);

    const recent = collect(cache, '/', revisions[5]!);
    await waitFor(() => recent.events.length === 4, { timeoutMs: 10_000, description: 'the replay of the last 4 writes' });
    expect(recent.events).toEqual([6, 7, 8, 9].map((i) => `/k${i}=v${i}@${revisions[i]}`));

    const old = collect(cache, '/', start);
    await waitFor(() => old.compacted.length === 1, { timeoutMs: 10_000, description: 'the too-old watch to be told' });
    expect(old.compacted).toEqual([revisions[5]]);
    expect(old.events).toEqual([]);

    // The replayed watch carries on live.
    const next = await cache.create('/k10', 'v10');
    await waitFor(() => recent.events.length === 5, { timeoutMs: 10_000, description: 'a live event after the replay' });
    expect(recent.events[4]).toBe(`/k10=v10@${next}`);
    await cache.close();
  });

  it("moves a live watch's progress with writes anywhere in the keyspace, never past an event not yet delivered", async () => {
    const lagging = laggingStore();
    const cache = new WatchCache(lagging.store);
    const start = (await cache.list('/')).revision;
    const watcher = collect(cache, '/a/', start);
    expect(watcher.handle.progress()).toBe(start);
    // A write to another prefix: nothing for this watch, but it has seen everything up to it.
    const elsewhere = await cache.create('/b/1', 'x');
    await waitFor(() => watcher.handle.progress() === elsewhere, { timeoutMs: 10_000, description: 'progress to follow a write elsewhere' });
    expect(watcher.events).toEqual([]);

    lagging.hold();
    const mine = await cache.create('/a/1', 'y');
    // The upstream has the write (a second watch of the inner store saw it) but holds it back from the cache.
    const witness = collect(lagging.memory, '/a/', elsewhere);
    await waitFor(() => witness.events.length === 1, { timeoutMs: 10_000, description: 'the inner store to deliver the write' });
    expect(watcher.handle.progress()).toBe(elsewhere);
    lagging.release();
    await waitFor(() => watcher.events.length === 1, { timeoutMs: 10_000, description: 'the held event' });
    expect(watcher.handle.progress()).toBe(mine);
    await cache.close();
  });

  it('relists when its own upstream watch is compacted away, and its watchers relist too', async () => {
    const lagging = laggingStore();
    const relists: string[] = [];
    const cache = new WatchCache(lagging.store, { onRelist: (reason) => relists.push(reason) });
    const start = (await cache.list('/')).revision;
    const watcher = collect(cache, '/', start);
    lagging.hold();
    const first = await lagging.memory.create('/a', '1');
    await lagging.memory.update('/a', '2', first);
    // Compacted behind the cache's back (another control plane, etcdctl): the held watch is now too old.
    const compactAt = await lagging.memory.currentRevision();
    await lagging.memory.compact(compactAt);
    lagging.cancelForCompaction(compactAt);
    await waitFor(() => watcher.compacted.length === 1, { timeoutMs: 10_000, description: 'the watcher to be told to relist' });
    expect(relists[0]).toMatch(/compacted/);
    const listed = await cache.list('/');
    expect(listed.items.map((kv) => `${kv.key}=${kv.value}`)).toEqual(['/a=2']);
    // A watch from the relisted revision is served again.
    const fresh = collect(cache, '/', listed.revision);
    const latest = await cache.update('/a', '3', listed.items[0]!.modRevision);
    await waitFor(() => fresh.events.length === 1, { timeoutMs: 10_000, description: 'an event after the relist' });
    expect(fresh.events).toEqual([`/a=3@${latest}`]);
    await cache.close();
  });

  it('fails a read still waiting for the cache at once when the store closes', async () => {
    const lagging = laggingStore();
    const cache = new WatchCache(lagging.store, { freshnessTimeoutMs: 60_000 });
    await cache.list('/');
    lagging.hold();
    await lagging.memory.create('/k', 'v');
    const waiting = cache.list('/');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.close();
    await expect(waiting).rejects.toBeInstanceOf(UnavailableError);
  });
});
