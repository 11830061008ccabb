// EtcdStore against a real etcd (started by @skiff/testkit). Every test uses
// its own key prefix, so tests share one etcd without seeing each other.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import {
  AlreadyExistsError,
  BatchConflictError,
  ConflictError,
  InvalidError,
  NotFoundError,
  StoreUnavailableError,
} from '../errors.js';
import { EtcdStore, MAX_TXN_OPS } from './etcd-store.js';
import type { StoreEvent, WatchHandle } from './store.js';

let etcd: EtcdServer;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
});

afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

function uniquePrefix(name: string): string {
  return `/test/${name}-${randomUUID()}/`;
}

interface Recorder {
  readonly events: StoreEvent[];
  readonly handle: WatchHandle;
  compacted: number[];
  errors: Error[];
}

function record(target: EtcdStore, prefix: string, afterRevision: number): Recorder {
  const recorder: Omit<Recorder, 'handle'> = { events: [], compacted: [], errors: [] };
  const handle = target.watch(prefix, afterRevision, {
    onEvent: (event) => recorder.events.push(event),
    onCompacted: (revision) => recorder.compacted.push(revision),
    onError: (error) => recorder.errors.push(error),
  });
  return { ...recorder, handle } as Recorder;
}

/** A compact, comparable view of an event. */
function summary(event: StoreEvent): string {
  return event.type === 'put'
    ? `put ${event.kv.key}=${event.kv.value}@${event.kv.modRevision}`
    : `delete ${event.key}@${event.modRevision} (was ${event.prev?.value ?? '?'})`;
}

async function eventsOf(recorder: Recorder, count: number, description: string): Promise<string[]> {
  await waitFor(() => recorder.events.length >= count || recorder.errors[0] !== undefined, {
    timeoutMs: 10_000,
    description,
  });
  expect(recorder.errors).toEqual([]);
  return recorder.events.map(summary);
}

describe('EtcdStore CRUD with compare-and-swap', () => {
  it('creates only if absent', async () => {
    const key = `${uniquePrefix('create')}a`;
    const revision = await store.create(key, 'one');
    expect(revision).toBeGreaterThan(0);
    await expect(store.get(key)).resolves.toEqual({ key, value: 'one', modRevision: revision, createRevision: revision });

    await expect(store.create(key, 'two')).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await store.get(key))?.value).toBe('one');
    await expect(store.get(`${key}-missing`)).resolves.toBeUndefined();
  });

  it('updates only at the expected revision and reports the current one on conflict', async () => {
    const key = `${uniquePrefix('update')}a`;
    const created = await store.create(key, 'v1');
    const updated = await store.update(key, 'v2', created);
    expect(updated).toBeGreaterThan(created);

    const stale = store.update(key, 'v3', created);
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toMatchObject({ currentRevision: updated });
    expect(await store.get(key)).toMatchObject({ value: 'v2', modRevision: updated, createRevision: created });

    // Delete is guarded the same way.
    await expect(store.delete(key, created)).rejects.toMatchObject({ currentRevision: updated });
    const deleted = await store.delete(key, updated);
    expect(deleted).toBeGreaterThan(updated);
    await expect(store.get(key)).resolves.toBeUndefined();
  });

  it('reports NotFoundError for an update or delete of a missing key', async () => {
    const key = `${uniquePrefix('missing')}a`;
    await expect(store.update(key, 'x', 5)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.delete(key, 5)).rejects.toBeInstanceOf(NotFoundError);
    // Revision 0 would match a missing key in an etcd compare: refused outright.
    await expect(store.update(key, 'x', 0)).rejects.toBeInstanceOf(InvalidError);
    await expect(store.get(key)).resolves.toBeUndefined();
  });

  it('loses no increment among 20 concurrent read-modify-write loops', async () => {
    const key = `${uniquePrefix('counter')}n`;
    await store.create(key, '0');
    let conflicts = 0;
    const increment = async (): Promise<void> => {
      for (;;) {
        const current = await store.get(key);
        if (!current) throw new Error('counter vanished');
        try {
          await store.update(key, String(Number(current.value) + 1), current.modRevision);
          return;
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, increment));
    expect((await store.get(key))?.value).toBe('20');
    // Not asserted, but shows the test exercised contention: usually > 0.
    expect(conflicts).toBeGreaterThanOrEqual(0);
  });
});

describe('EtcdStore.commit', () => {
  it('writes all ops in one transaction', async () => {
    const prefix = uniquePrefix('commit-ok');
    const b = await store.create(`${prefix}b`, 'b1');
    const c = await store.create(`${prefix}c`, 'c1');
    const revision = await store.commit([
      { op: 'create', key: `${prefix}a`, value: 'a1' },
      { op: 'update', key: `${prefix}b`, value: 'b2', expectedRevision: b },
      { op: 'delete', key: `${prefix}c`, expectedRevision: c },
    ]);
    // One transaction: one revision for all three writes.
    const { items } = await store.list(prefix);
    expect(items.map((kv) => [kv.key.slice(prefix.length), kv.value, kv.modRevision])).toEqual([
      ['a', 'a1', revision],
      ['b', 'b2', revision],
    ]);
  });

  it('writes nothing when one expectation fails, and names that op', async () => {
    const prefix = uniquePrefix('commit-fail');
    const b = await store.create(`${prefix}b`, 'b1');
    const c = await store.create(`${prefix}c`, 'c1');
    const cNow = await store.update(`${prefix}c`, 'c2', c);
    const before = await store.list(prefix);

    const failing = store.commit([
      { op: 'create', key: `${prefix}a`, value: 'a1' },
      { op: 'update', key: `${prefix}b`, value: 'b2', expectedRevision: b },
      { op: 'delete', key: `${prefix}c`, expectedRevision: c }, // stale
      { op: 'update', key: `${prefix}d`, value: 'd1', expectedRevision: 7 }, // missing too, but later
    ]);
    await expect(failing).rejects.toBeInstanceOf(BatchConflictError);
    await expect(failing).rejects.toMatchObject({ index: 2, message: expect.stringMatching(/current revision/) });

    const after = await store.list(prefix);
    expect(after.items).toEqual(before.items);
    expect(after.items.find((kv) => kv.key === `${prefix}c`)?.modRevision).toBe(cNow);

    await expect(store.commit([{ op: 'create', key: `${prefix}b`, value: 'again' }])).rejects.toMatchObject({ index: 0 });
  });

  it(`rejects more than ${MAX_TXN_OPS} ops and duplicate keys before calling etcd`, async () => {
    const prefix = uniquePrefix('commit-limits');
    const ops = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => ({ op: 'create' as const, key: `${prefix}${i}`, value: 'x' }));
    await expect(store.commit(ops)).rejects.toThrow(/at most 128 operations/);
    await expect(store.commit(ops.slice(0, MAX_TXN_OPS))).resolves.toBeGreaterThan(0);
    expect((await store.list(prefix)).items).toHaveLength(MAX_TXN_OPS);

    await expect(
      store.commit([
        { op: 'create', key: `${prefix}dup`, value: '1' },
        { op: 'create', key: `${prefix}dup`, value: '2' },
      ]),
    ).rejects.toThrow(/op 1 writes .*dup a second time/);
  });
});

describe('EtcdStore.list and watch', () => {
  it('lists in key order at a revision from which a watch sees exactly the later writes, in order', async () => {
    const prefix = uniquePrefix('list-watch');
    await store.create(`${prefix}b`, 'b1');
    await store.create(`${prefix}a`, 'a1');
    const c = await store.create(`${prefix}c`, 'c1');
    await store.create(`${prefix.slice(0, -1)}-sibling`, 'not under the prefix');

    const listed = await store.list(prefix);
    expect(listed.items.map((kv) => kv.key.slice(prefix.length))).toEqual(['a', 'b', 'c']);
    expect(listed.revision).toBeGreaterThanOrEqual(c);

    const watch = record(store, prefix, listed.revision);
    const d = await store.create(`${prefix}d`, 'd1');
    const a2 = await store.update(`${prefix}a`, 'a2', listed.items[0]!.modRevision);
    const cGone = await store.delete(`${prefix}c`, c);
    await store.create(`${prefix.slice(0, -1)}-other`, 'not under the prefix either');

    expect(await eventsOf(watch, 3, 'three events after the list')).toEqual([
      `put ${prefix}d=d1@${d}`,
      `put ${prefix}a=a2@${a2}`,
      `delete ${prefix}c@${cGone} (was c1)`,
    ]);
    const update = watch.events[1];
    expect(update?.type === 'put' ? update.prev?.value : undefined).toBe('a1');

    // After close() resolves, nothing more is delivered.
    await watch.handle.close();
    const later = await store.create(`${prefix}e`, 'e1');
    const witness = record(store, prefix, later - 1);
    await eventsOf(witness, 1, 'a second watch to see the write after close');
    await witness.handle.close();
    expect(watch.events).toHaveLength(3);
  });

  it('lists more keys than one page, in order, as one snapshot', async () => {
    const prefix = uniquePrefix('big-list');
    const keys: string[] = [];
    let last = 0;
    for (let batch = 0; batch < 5; batch++) {
      const ops = Array.from({ length: 120 }, (_, i) => {
        const key = `${prefix}${String(batch * 120 + i).padStart(4, '0')}`;
        keys.push(key);
        return { op: 'create' as const, key, value: 'x' };
      });
      last = await store.commit(ops);
    }
    const listed = await store.list(prefix);
    expect(listed.items.map((kv) => kv.key)).toEqual(keys);
    expect(listed.revision).toBeGreaterThanOrEqual(last);
  });

  it('replays history in order when watching from an older revision', async () => {
    const prefix = uniquePrefix('replay');
    const start = await store.currentRevision();
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const revision = await store.create(`${prefix}k${String(i).padStart(2, '0')}`, `v${i}`);
      expected.push(`put ${prefix}k${String(i).padStart(2, '0')}=v${i}@${revision}`);
    }
    const k05 = await store.get(`${prefix}k05`);
    const deleted = await store.delete(`${prefix}k05`, k05!.modRevision);
    expected.push(`delete ${prefix}k05@${deleted} (was v5)`);

    const fromStart = record(store, prefix, start);
    expect(await eventsOf(fromStart, expected.length, 'the whole history')).toEqual(expected);
    await fromStart.handle.close();

    // From the middle: strictly after the given revision.
    const middle = Number(/@(\d+)$/.exec(expected[9]!)![1]);
    const fromMiddle = record(store, prefix, middle);
    expect(await eventsOf(fromMiddle, expected.length - 10, 'the history after the 10th write')).toEqual(expected.slice(10));
    await fromMiddle.handle.close();
  });

  it('reports compaction with the compact revision, once, and stops', async () => {
    const prefix = uniquePrefix('compacted');
    const first = await store.create(`${prefix}a`, '1');
    const second = await store.update(`${prefix}a`, '2', first);
    await store.update(`${prefix}a`, '3', second);
    const compactAt = await store.currentRevision();
    await store.compact(compactAt);
    // Compacting the same revision again is not an error.
    await store.compact(compactAt);

    const watch = record(store, prefix, first - 1);
    await waitFor(() => watch.compacted.length > 0 || watch.errors.length > 0, {
      timeoutMs: 10_000,
      description: 'onCompacted',
    });
    expect(watch.compacted).toEqual([compactAt]);
    expect(watch.errors).toEqual([]);
    expect(watch.events).toEqual([]);
    await watch.handle.close();

    // The compact revision itself is still watchable: events after it arrive.
    const fresh = record(store, prefix, compactAt);
    const latest = await store.get(`${prefix}a`);
    const next = await store.update(`${prefix}a`, '4', latest!.modRevision);
    expect(await eventsOf(fresh, 1, 'an event after the compact revision')).toEqual([`put ${prefix}a=4@${next}`]);
    await fresh.handle.close();
  });
});

describe('EtcdStore leases', () => {
  it('deletes a key when its lease expires, and keeps it while the lease is renewed', async () => {
    const prefix = uniquePrefix('lease');
    const renewed = await store.grantLease(1);
    const abandoned = await store.grantLease(1);
    expect(renewed).toMatch(/^[1-9]\d*$/);
    await store.create(`${prefix}renewed`, 'x', { lease: renewed });
    await store.create(`${prefix}abandoned`, 'x', { lease: abandoned });
    expect((await store.get(`${prefix}renewed`))?.lease).toBe(renewed);

    // Renew one lease until the other has expired (etcd rounds a 1 s TTL up
    // to its minimum, about 2 s); the renewed key must survive all along.
    await waitFor(
      async () => {
        await store.keepAliveLease(renewed);
        if ((await store.get(`${prefix}renewed`)) === undefined) throw new Error('renewed key disappeared');
        return (await store.get(`${prefix}abandoned`)) === undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, description: 'the unrenewed lease to expire' },
    );
    // The probe throws (and waitFor would time out quoting it) if the renewed key went away.
    expect(await store.get(`${prefix}renewed`)).toBeDefined();
    await expect(store.keepAliveLease(abandoned)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.create(`${prefix}late`, 'x', { lease: abandoned })).rejects.toBeInstanceOf(NotFoundError);

    // An update without a lease keeps the key's lease; revoking deletes the key.
    const current = await store.get(`${prefix}renewed`);
    await store.update(`${prefix}renewed`, 'y', current!.modRevision);
    expect((await store.get(`${prefix}renewed`))?.lease).toBe(renewed);
    await store.revokeLease(renewed);
    await expect(store.get(`${prefix}renewed`)).resolves.toBeUndefined();
    await store.revokeLease(renewed); // idempotent
  });
});

describe('EtcdStore when etcd is away', () => {
  it('fails fast with StoreUnavailableError naming the endpoint when nothing listens', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const absent = new EtcdStore({ endpoints: [endpoint] });
    try {
      const started = Date.now();
      const ping = absent.ping(3000);
      await expect(ping).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(ping).rejects.toThrow(endpoint);
      expect(Date.now() - started).toBeLessThan(2500);

      const get = absent.get('/anything');
      await expect(get).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(get).rejects.toHaveProperty('cause');
      await expect(EtcdStore.connect({ endpoints: [endpoint], dialTimeoutMs: 1000 })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await absent.close();
    }
  });

  it('fails ping while etcd is stopped and keeps a watch exactly-once across the restart', async () => {
    const second = await startEtcd();
    const watching = await EtcdStore.connect({ endpoints: [second.endpoint] });
    try {
      const prefix = uniquePrefix('restart');
      const { revision } = await watching.list(prefix);
      const watch = record(watching, prefix, revision);
      const expected: string[] = [];
      for (let i = 0; i < 5; i++) {
        const rev = await watching.create(`${prefix}before-${i}`, `${i}`);
        expected.push(`put ${prefix}before-${i}=${i}@${rev}`);
      }
      expect(await eventsOf(watch, 5, 'events before the restart')).toEqual(expected);

      await second.process.stop();
      const started = Date.now();
      await expect(watching.ping(2000)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2000);

      await second.restart();
      // A fresh client writes while the watcher's stream is still reconnecting.
      const writer = await EtcdStore.connect({ endpoints: [second.endpoint] });
      try {
        for (let i = 0; i < 5; i++) {
          const rev = await writer.create(`${prefix}after-${i}`, `${i}`);
          expected.push(`put ${prefix}after-${i}=${i}@${rev}`);
        }
      } finally {
        await writer.close();
      }
      expect(await eventsOf(watch, 10, 'events after the restart')).toEqual(expected);
      await waitFor(() => watching.ping(1000).then(() => true), { timeoutMs: 10_000, description: 'the old client to reconnect' });

      // One more write through the reconnected client: still exactly once.
      const rev = await watching.create(`${prefix}last`, 'z');
      expected.push(`put ${prefix}last=z@${rev}`);
      expect(await eventsOf(watch, 11, 'the event after reconnecting')).toEqual(expected);
      await watch.handle.close();
    } finally {
      await watching.close();
      await second.stop();
    }
  });
});
