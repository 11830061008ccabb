import { describe, expect, it } from 'vitest';
import { Compactor } from './compactor.js';
import { MemoryStore } from './memory-store.js';

/** Does a watch from just after `revision` still replay history, or is that history compacted away? */
function watchFrom(store: MemoryStore, afterRevision: number): Promise<'events' | 'compacted'> {
  return new Promise((resolve, reject) => {
    const handle = store.watch('/k/', afterRevision, {
      onEvent: () => void handle.close().then(() => resolve('events')),
      onCompacted: () => resolve('compacted'),
      onError: reject,
    });
  });
}

describe('Compactor (kube-apiserver style: compact to the revision of one interval ago)', () => {
  it('keeps one interval of history and compacts what is older', async () => {
    const store = new MemoryStore();
    let tick: (() => void) | undefined;
    const compactor = new Compactor({ store, setInterval: (run) => ((tick = run), {}), clearInterval: () => undefined });
    await store.create('/k/old', '0');
    const first = await store.create('/k/a', '1');
    compactor.start();
    await compactor.tick(); // the start's round already remembered `first`; this one has nothing older to compact
    expect(await watchFrom(store, 0)).toBe('events');

    const second = await store.create('/k/b', '2');
    tick?.();
    await compactor.tick(); // compacts to `first` (current one interval ago), remembers `second`
    // As etcd's: history before `first` is gone, `first` and later are still there.
    expect(await watchFrom(store, first - 2)).toBe('compacted');
    expect(await watchFrom(store, first - 1)).toBe('events');

    await store.create('/k/c', '3');
    await compactor.tick();
    expect(await watchFrom(store, second - 2)).toBe('compacted');
    expect(await watchFrom(store, second - 1)).toBe('events');
    await compactor.stop();
  });

  it('keeps the current revision while nothing was written, and survives a store that fails', async () => {
    const store = new MemoryStore();
    await store.create('/k/a', '1');
    let fail = true;
    const flaky = {
      currentRevision: () => (fail ? Promise.reject(new Error('store down')) : store.currentRevision()),
      compact: (revision: number) => store.compact(revision),
    };
    const warnings: string[] = [];
    const compactor = new Compactor({ store: flaky, setInterval: () => ({}), clearInterval: () => undefined, log: { warn: (_d, m) => warnings.push(m), info: () => undefined } });
    await compactor.tick();
    expect(warnings).toEqual(['store compaction failed']);
    fail = false;
    await compactor.tick();
    await compactor.tick(); // no write in between: compacting to the current revision keeps it
    const current = await store.currentRevision();
    expect(await watchFrom(store, current - 1)).toBe('events');
  });
});
