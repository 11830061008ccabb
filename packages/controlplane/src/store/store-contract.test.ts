// The Store contract (store.ts), one suite run against every implementation:
// MemoryStore, and EtcdStore on a real etcd (started by @skiff/testkit). What
// only one of them has (etcd outages, a driven clock) is tested beside it, in
// etcd-store.test.ts and memory-store.test.ts. The suite and its runs share
// this file because a *.test.ts file that only exported the suite would be a
// test file without tests to vitest, and any other name would put vitest
// into the package build. Every test uses its own key prefix.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  BatchConflictError,
  CompactedError,
  ConflictError,
  InvalidError,
  NotFoundError,
  UnavailableError,
} from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { EtcdStore, MAX_TXN_OPS } from './etcd-store.js';
import { GroupCommit } from './group-commit.js';
import { MemoryStore } from './memory-store.js';
import { WatchCache } from './watch-cache.js';
import type { Store, StoreEvent, WatchHandle, WatchOptions } from './store.js';

interface StoreUnderTest {
  readonly store: Store;
  /** A cache holding every value (WatchCache): its watches carry `prev` even when asked for none. */
  readonly holdsValues?: boolean;
  cleanup(): Promise<void>;
}

function uniquePrefix(name: string): string {
  return `/test/${name}-${randomUUID()}/`;
}

interface Recorder {
  readonly events: StoreEvent[];
  readonly compacted: number[];
  readonly errors: Error[];
  readonly handle: WatchHandle;
}

function record(
  target: Store,
  prefix: string,
  afterRevision: number,
  onEvent?: (event: StoreEvent) => void,
  options?: WatchOptions,
): Recorder {
  const events: StoreEvent[] = [];
  const compacted: number[] = [];
  const errors: Error[] = [];
  const handle = target.watch(prefix, afterRevision, {
    onEvent: (event) => {
      events.push(event);
      onEvent?.(event);
    },
    onCompacted: (revision) => compacted.push(revision),
    onError: (error) => errors.push(error),
  }, options);
  return { events, compacted, errors, handle };
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

/** Waits until a second watch has seen a later write, so anything `recorder` was going to get has arrived. */
async function settle(store: Store, prefix: string): Promise<void> {
  const revision = await store.create(`${prefix}~settle-${randomUUID()}`, 'x');
  const witness = record(store, prefix, revision - 1);
  await eventsOf(witness, 1, 'a later write, seen by a second watch');
  await witness.handle.close();
}

function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`${name} keeps the Store contract`, () => {
    let subject: StoreUnderTest | undefined;
    let store: Store;
    let holdsValues = false;

    beforeAll(async () => {
      subject = await makeStore();
      store = subject.store;
      holdsValues = subject.holdsValues ?? false;
    });

    afterAll(async () => {
      await subject?.cleanup();
    });

    describe('compare-and-swap writes', () => {
      it('creates only if absent', async () => {
        const key = `${uniquePrefix('create')}a`;
        const revision = await store.create(key, 'one');
        expect(revision).toBeGreaterThan(0);
        await expect(store.get(key)).resolves.toStrictEqual({ key, value: 'one', modRevision: revision, createRevision: revision });

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
        const increment = async (): Promise<void> => {
          for (;;) {
            const current = await store.get(key);
            if (!current) throw new Error('counter vanished');
            try {
              await store.update(key, String(Number(current.value) + 1), current.modRevision);
              return;
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
            }
          }
        };
        await Promise.all(Array.from({ length: 20 }, increment));
        expect((await store.get(key))?.value).toBe('20');
      });

      it('bumps the revision once per write transaction, and not for reads, failed writes or leases', async () => {
        const prefix = uniquePrefix('revisions');
        const start = await store.currentRevision();
        const a = await store.create(`${prefix}a`, '1');
        expect(a).toBe(start + 1);
        expect((await store.list(prefix)).revision).toBe(a);

        await expect(store.create(`${prefix}a`, 'again')).rejects.toBeInstanceOf(AlreadyExistsError);
        await expect(store.update(`${prefix}a`, 'stale', a + 100)).rejects.toBeInstanceOf(ConflictError);
        await expect(store.delete(`${prefix}gone`, a)).rejects.toBeInstanceOf(NotFoundError);
        const lease = await store.grantLease(60);
        await store.keepAliveLease(lease);
        expect(await store.currentRevision()).toBe(a);

        const b = await store.update(`${prefix}a`, '2', a);
        expect(b).toBe(a + 1);
        expect(await store.get(`${prefix}a`)).toMatchObject({ modRevision: b, createRevision: a });
        const c = await store.commit([
          { op: 'create', key: `${prefix}b`, value: '1' },
          { op: 'update', key: `${prefix}a`, value: '3', expectedRevision: b },
        ]);
        expect(c).toBe(b + 1);
        // Nothing attached: revoking deletes nothing, so no new revision.
        await store.revokeLease(lease);
        await expect(store.commit([])).resolves.toBe(c);
      });
    });

    describe('commit', () => {
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

      it('names the first failing op whatever its kind, and says what it found', async () => {
        const prefix = uniquePrefix('commit-index');
        const a = await store.create(`${prefix}a`, '1');
        const missing = store.commit([
          { op: 'update', key: `${prefix}a`, value: '2', expectedRevision: a },
          { op: 'delete', key: `${prefix}gone`, expectedRevision: a },
        ]);
        await expect(missing).rejects.toBeInstanceOf(ConflictError);
        await expect(missing).rejects.toMatchObject({ index: 1, message: `batch op 1 (delete ${prefix}gone): not found` });
        await expect(
          store.commit([
            { op: 'create', key: `${prefix}new`, value: '1' },
            { op: 'create', key: `${prefix}a`, value: '1' },
          ]),
        ).rejects.toMatchObject({ index: 1, message: `batch op 1 (create ${prefix}a): already exists (mod revision ${a})` });
        expect((await store.list(prefix)).items.map((kv) => kv.value)).toEqual(['1']);
      });

      it('guards a batch with check ops: it writes only while the checked key is at the expected revision', async () => {
        const prefix = uniquePrefix('commit-check');
        const fence = await store.create(`${prefix}fence`, 'leader-1');
        const written = await store.commit([
          { op: 'check', key: `${prefix}fence`, expectedRevision: fence },
          { op: 'create', key: `${prefix}a`, value: '1' },
        ]);
        expect((await store.get(`${prefix}a`))?.modRevision).toBe(written);
        // The check writes nothing: the checked key keeps its revision, and a batch of checks only bumps nothing.
        expect((await store.get(`${prefix}fence`))?.modRevision).toBe(fence);
        await expect(store.commit([{ op: 'check', key: `${prefix}fence`, expectedRevision: fence }])).resolves.toBe(written);
        expect(await store.currentRevision()).toBe(written);

        // The fence moves on (a successor): the guarded batch fails at the check, and nothing is written.
        const moved = await store.update(`${prefix}fence`, 'leader-2', fence);
        const stale = store.commit([
          { op: 'create', key: `${prefix}b`, value: '1' },
          { op: 'check', key: `${prefix}fence`, expectedRevision: fence },
        ]);
        await expect(stale).rejects.toBeInstanceOf(BatchConflictError);
        await expect(stale).rejects.toMatchObject({
          index: 1,
          message: `batch op 1 (check ${prefix}fence): expected revision ${fence}, current revision ${moved}`,
        });
        // A deleted (expired) fence fails the check too.
        await store.delete(`${prefix}fence`, moved);
        await expect(
          store.commit([
            { op: 'check', key: `${prefix}fence`, expectedRevision: moved },
            { op: 'update', key: `${prefix}a`, value: '2', expectedRevision: written },
          ]),
        ).rejects.toMatchObject({ index: 0, message: `batch op 0 (check ${prefix}fence): not found` });
        expect((await store.list(prefix)).items.map((kv) => `${kv.key.slice(prefix.length)}=${kv.value}`)).toEqual(['a=1']);
        await expect(store.commit([{ op: 'check', key: `${prefix}a`, expectedRevision: 0 }])).rejects.toBeInstanceOf(InvalidError);
      });

      it(`rejects more than ${MAX_TXN_OPS} ops and duplicate keys before writing anything`, async () => {
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

    describe('list and watch', () => {
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

        // After close() resolves, nothing more is delivered.
        await watch.handle.close();
        await store.create(`${prefix}e`, 'e1');
        await settle(store, prefix);
        expect(watch.events).toHaveLength(3);
      });

      it('lists in key byte order (UTF-8), not in JavaScript string order', async () => {
        const prefix = uniquePrefix('byte-order');
        // U+FFFD is EF BF BD in UTF-8, U+1F600 is F0 9F 98 80; in UTF-16 the emoji's surrogate (D83D) sorts first.
        await store.create(`${prefix}\u{1F600}`, 'emoji');
        await store.create(`${prefix}\uFFFD`, 'replacement');
        expect((await store.list(prefix)).items.map((kv) => kv.value)).toEqual(['replacement', 'emoji']);
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

      it('reports progress() from where the watch starts, and past an event only once it was delivered', async () => {
        const prefix = uniquePrefix('progress');
        const start = await store.currentRevision();
        const watch = record(store, prefix, start);
        expect(watch.handle.progress()).toBe(start);
        const first = await store.create(`${prefix}a`, '1');
        // Read together, in one synchronous step: either the event has arrived or progress is still below it.
        const [arrived, progress] = [watch.events.length, watch.handle.progress()];
        if (arrived === 0) expect(progress).toBeLessThan(first);
        await eventsOf(watch, 1, 'the first event');
        expect(watch.handle.progress()).toBeGreaterThanOrEqual(first);
        expect(watch.handle.progress()).toBeLessThanOrEqual(await store.currentRevision());
        await watch.handle.close();
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

      it('gives updates and deletes the previous key-value, and creates none', async () => {
        const prefix = uniquePrefix('prev');
        const key = `${prefix}a`;
        const watch = record(store, prefix, await store.currentRevision());
        const created = await store.create(key, '1');
        const updated = await store.update(key, '2', created);
        const deleted = await store.delete(key, updated);
        const recreated = await store.create(key, '3');
        await eventsOf(watch, 4, 'create, update, delete, create');
        expect(watch.events).toStrictEqual([
          { type: 'put', kv: { key, value: '1', modRevision: created, createRevision: created } },
          {
            type: 'put',
            kv: { key, value: '2', modRevision: updated, createRevision: created },
            prev: { key, value: '1', modRevision: created, createRevision: created },
          },
          { type: 'delete', key, modRevision: deleted, prev: { key, value: '2', modRevision: updated, createRevision: created } },
          { type: 'put', kv: { key, value: '3', modRevision: recreated, createRevision: recreated } },
        ]);
        await watch.handle.close();
      });

      it('sends no previous key-values to a watch that asks for none (a cache of every value still does)', async () => {
        const prefix = uniquePrefix('no-prev');
        const key = `${prefix}a`;
        const watch = record(store, prefix, await store.currentRevision(), undefined, { previous: false });
        const created = await store.create(key, '1');
        const updated = await store.update(key, '2', created);
        const deleted = await store.delete(key, updated);
        await eventsOf(watch, 3, 'create, update, delete');
        const first = { key, value: '1', modRevision: created, createRevision: created };
        const second = { key, value: '2', modRevision: updated, createRevision: created };
        expect(watch.events).toStrictEqual(
          holdsValues
            ? [
                { type: 'put', kv: first },
                { type: 'put', kv: second, prev: first },
                { type: 'delete', key, modRevision: deleted, prev: second },
              ]
            : [
                { type: 'put', kv: first },
                { type: 'put', kv: second },
                { type: 'delete', key, modRevision: deleted },
              ],
        );
        await watch.handle.close();
      });

      it('ends a watch whose onEvent throws, through onError, and delivers nothing after', async () => {
        const prefix = uniquePrefix('throwing');
        const watch = record(store, prefix, await store.currentRevision(), () => {
          throw new Error('cannot take it');
        });
        await store.create(`${prefix}a`, '1');
        await waitFor(() => watch.errors.length > 0, { timeoutMs: 10_000, description: 'onError' });
        expect(watch.errors[0]?.message).toBe(`watch on "${prefix}": onEvent threw: cannot take it`);
        await store.create(`${prefix}b`, '2');
        await settle(store, prefix);
        expect(watch.events).toHaveLength(1);
        expect(watch.errors).toHaveLength(1);
        await watch.handle.close();
      });

      it('stops at once when onEvent closes the watch, even within one transaction', async () => {
        const prefix = uniquePrefix('close-inside');
        let handle: WatchHandle | undefined;
        const watch = record(store, prefix, await store.currentRevision(), () => void handle?.close());
        handle = watch.handle;
        await store.commit(['a', 'b', 'c'].map((name) => ({ op: 'create' as const, key: `${prefix}${name}`, value: name })));
        await settle(store, prefix);
        expect(watch.events.map((event) => (event.type === 'put' ? event.kv.value : event.key))).toEqual(['a']);
        expect(watch.errors).toEqual([]);
      });

      it('reports compaction with the compact revision, once, and stops', async () => {
        const prefix = uniquePrefix('compacted');
        const first = await store.create(`${prefix}a`, '1');
        const second = await store.update(`${prefix}a`, '2', first);
        await store.update(`${prefix}a`, '3', second);
        const compactAt = await store.currentRevision();
        await store.compact(compactAt);
        // Compacting the same revision again is not an error; a future one is.
        await store.compact(compactAt);
        await expect(store.compact(compactAt + 1000)).rejects.toBeInstanceOf(InvalidError);
        await expect(store.compact(0)).rejects.toBeInstanceOf(InvalidError);

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

      it('keeps a caught-up watch running across a compaction', async () => {
        const prefix = uniquePrefix('compact-running');
        const watch = record(store, prefix, await store.currentRevision());
        const first = await store.create(`${prefix}a`, '1');
        await eventsOf(watch, 1, 'the first event');
        await store.compact(await store.currentRevision());
        const second = await store.update(`${prefix}a`, '2', first);
        expect(await eventsOf(watch, 2, 'an event after the compaction')).toEqual([
          `put ${prefix}a=1@${first}`,
          `put ${prefix}a=2@${second}`,
        ]);
        expect(watch.events[1]?.prev?.value).toBe('1');
        expect(watch.compacted).toEqual([]);
        await watch.handle.close();
      });

      it('replays the compact revision itself, without prev: the revision before it is gone', async () => {
        const prefix = uniquePrefix('compact-edge');
        const first = await store.create(`${prefix}a`, '1');
        const second = await store.update(`${prefix}a`, '2', first);
        await store.compact(second);
        const watch = record(store, prefix, second - 1);
        await eventsOf(watch, 1, 'the event at the compact revision');
        expect(watch.events).toStrictEqual([
          { type: 'put', kv: { key: `${prefix}a`, value: '2', modRevision: second, createRevision: first } },
        ]);
        expect(watch.compacted).toEqual([]);
        await watch.handle.close();
      });
    });

    describe('paged lists', () => {
      const names = (page: { items: readonly { key: string; value: string }[] }, prefix: string): string[] =>
        page.items.map((kv) => `${kv.key.slice(prefix.length)}=${kv.value}`);

      it('reads a list in pages at the first page\'s revision, a consistent snapshot while writes go on', async () => {
        const prefix = uniquePrefix('pages');
        const written = await store.commit(['a', 'b', 'c', 'd', 'e'].map((name) => ({ op: 'create' as const, key: `${prefix}${name}`, value: `${name}1` })));
        await store.create(`${prefix.slice(0, -1)}-sibling`, 'not under the prefix');

        const first = await store.list(prefix, { limit: 2 });
        expect(names(first, prefix)).toEqual(['a=a1', 'b=b1']);
        expect(first.remaining).toBe(3);
        expect(first.revision).toBeGreaterThanOrEqual(written);
        // Changes after the first page: none of them shows in the later pages.
        await store.update(`${prefix}c`, 'c2', written);
        await store.delete(`${prefix}d`, written);
        await store.create(`${prefix}bb`, 'bb1');

        const at = { revision: first.revision, limit: 2 };
        const second = await store.list(prefix, { ...at, fromKey: `${first.items[1]!.key}\0` });
        expect(names(second, prefix)).toEqual(['c=c1', 'd=d1']);
        expect(second).toMatchObject({ revision: first.revision, remaining: 1 });
        const third = await store.list(prefix, { ...at, fromKey: `${second.items[1]!.key}\0` });
        expect(names(third, prefix)).toEqual(['e=e1']);
        expect(third.remaining).toBe(0);
        // A limit that reaches the end exactly leaves nothing remaining; no limit, no count.
        expect((await store.list(prefix, { revision: first.revision, limit: 5 })).remaining).toBe(0);
        const now = await store.list(prefix);
        expect(names(now, prefix)).toEqual(['a=a1', 'b=b1', 'bb=bb1', 'c=c2', 'e=e1']);
        expect(now.remaining).toBeUndefined();
        // A fresh first page sees the present, and starts where it is told to.
        expect(names(await store.list(prefix, { limit: 2, fromKey: `${prefix}b\0` }), prefix)).toEqual(['bb=bb1', 'c=c2']);
      });

      it('pages past its own read size (etcd reads 500 keys at a time)', async () => {
        const prefix = uniquePrefix('long-pages');
        for (let batch = 0; batch < 6; batch++) {
          await store.commit(
            Array.from({ length: 120 }, (_, i) => ({ op: 'create' as const, key: `${prefix}${String(batch * 120 + i).padStart(4, '0')}`, value: 'x' })),
          );
        }
        const first = await store.list(prefix, { limit: 600 });
        expect(first.items).toHaveLength(600);
        expect(first.items[599]!.key).toBe(`${prefix}0599`);
        expect(first.remaining).toBe(120);
        const rest = await store.list(prefix, { limit: 600, revision: first.revision, fromKey: `${first.items[599]!.key}\0` });
        expect(rest.items.map((kv) => kv.key)).toEqual(Array.from({ length: 120 }, (_, i) => `${prefix}${String(600 + i).padStart(4, '0')}`));
        expect(rest.remaining).toBe(0);
      });

      it('refuses a page at a compacted revision with CompactedError, and at a future one', async () => {
        const prefix = uniquePrefix('pages-compacted');
        const first = await store.create(`${prefix}a`, '1');
        await store.update(`${prefix}a`, '2', first);
        const compactAt = await store.currentRevision();
        await store.compact(compactAt);
        const stale = store.list(prefix, { revision: first, limit: 1 });
        await expect(stale).rejects.toBeInstanceOf(CompactedError);
        await expect(stale).rejects.toThrow(`cannot list at revision ${first}: the store's history there has been compacted`);
        // The compact revision itself is still there.
        expect(names(await store.list(prefix, { revision: compactAt, limit: 1 }), prefix)).toEqual(['a=2']);
        await expect(store.list(prefix, { revision: compactAt + 1000 })).rejects.toThrow(InvalidError);
      });

      it('refuses malformed paging options before reading anything', async () => {
        const prefix = uniquePrefix('pages-bad');
        for (const options of [{ limit: 0 }, { limit: 1.5 }, { revision: 0 }, { revision: -3 }, { fromKey: '/elsewhere/' }]) {
          await expect(store.list(prefix, options), JSON.stringify(options)).rejects.toBeInstanceOf(InvalidError);
        }
        await expect(store.list(prefix, { fromKey: '/' })).rejects.toThrow(/is not under the prefix/);
      });
    });

    describe('leases', () => {
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
        // A renewal says the TTL as granted: at least the 1 s asked for (etcd may round it up to its minimum).
        expect(await store.keepAliveLease(renewed)).toBeGreaterThanOrEqual(1);
        await expect(store.create(`${prefix}late`, 'x', { lease: abandoned })).rejects.toBeInstanceOf(NotFoundError);

        // An update without a lease keeps the key's lease; revoking deletes the key.
        const current = await store.get(`${prefix}renewed`);
        await store.update(`${prefix}renewed`, 'y', current!.modRevision);
        expect((await store.get(`${prefix}renewed`))?.lease).toBe(renewed);
        await store.revokeLease(renewed);
        await expect(store.get(`${prefix}renewed`)).resolves.toBeUndefined();
        await store.revokeLease(renewed); // idempotent
      });

      it('deletes every attached key in one revision when revoked; watches see the deletes with prev', async () => {
        const prefix = uniquePrefix('revoke');
        const lease = await store.grantLease(60);
        const b = await store.create(`${prefix}b`, 'b1', { lease });
        const a = await store.create(`${prefix}a`, 'a1', { lease });
        await store.create(`${prefix}c`, 'c1');
        const watch = record(store, prefix, await store.currentRevision());
        await store.revokeLease(lease);
        const revoked = await store.currentRevision();
        await eventsOf(watch, 2, 'the deletes of both leased keys');
        expect(watch.events).toStrictEqual([
          { type: 'delete', key: `${prefix}a`, modRevision: revoked, prev: { key: `${prefix}a`, value: 'a1', modRevision: a, createRevision: a, lease } },
          { type: 'delete', key: `${prefix}b`, modRevision: revoked, prev: { key: `${prefix}b`, value: 'b1', modRevision: b, createRevision: b, lease } },
        ]);
        expect((await store.list(prefix)).items.map((kv) => kv.value)).toEqual(['c1']);
        await watch.handle.close();
      });

      it('moves a key to another lease, detaches it with lease "0", and refuses leases that are gone', async () => {
        const prefix = uniquePrefix('lease-move');
        const first = await store.grantLease(60);
        const second = await store.grantLease(60);
        const created = await store.create(`${prefix}k`, 'v1', { lease: first });
        const moved = await store.update(`${prefix}k`, 'v2', created, { lease: second });
        expect((await store.get(`${prefix}k`))?.lease).toBe(second);
        await store.revokeLease(first);
        const detached = await store.update(`${prefix}k`, 'v3', moved, { lease: '0' });
        await store.revokeLease(second);
        expect(await store.get(`${prefix}k`)).toStrictEqual({ key: `${prefix}k`, value: 'v3', modRevision: detached, createRevision: created });

        const before = await store.currentRevision();
        await expect(
          store.commit([
            { op: 'create', key: `${prefix}x`, value: '1' },
            { op: 'create', key: `${prefix}y`, value: '1', lease: first },
          ]),
        ).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.update(`${prefix}k`, 'v4', detached, { lease: second })).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.currentRevision()).toBe(before);
      });

      it('refuses malformed lease ids and TTLs', async () => {
        const key = `${uniquePrefix('lease-args')}k`;
        await expect(store.grantLease(0)).rejects.toBeInstanceOf(InvalidError);
        await expect(store.grantLease(1.5)).rejects.toBeInstanceOf(InvalidError);
        await expect(store.keepAliveLease('0')).rejects.toBeInstanceOf(InvalidError);
        await expect(store.revokeLease('abc')).rejects.toBeInstanceOf(InvalidError);
        await expect(store.create(key, 'x', { lease: '-1' })).rejects.toBeInstanceOf(InvalidError);
        await expect(store.get(key)).resolves.toBeUndefined();
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open; once closed, fails every call with UnavailableError and ends watches quietly', async () => {
        const other = await makeStore();
        try {
          await other.store.ping(5_000);
          const watch = record(other.store, '/', await other.store.currentRevision());
          await other.store.close();
          await other.store.close(); // idempotent
          await expect(other.store.get('/anything')).rejects.toBeInstanceOf(UnavailableError);
          await expect(other.store.create('/anything', 'x')).rejects.toBeInstanceOf(UnavailableError);
          await expect(other.store.ping(1_000)).rejects.toBeInstanceOf(UnavailableError);
          expect(() => other.store.watch('/', 0, { onEvent() {}, onCompacted() {}, onError() {} })).toThrow(UnavailableError);
          expect(watch.errors).toEqual([]);
          expect(watch.compacted).toEqual([]);
        } finally {
          await other.cleanup();
        }
      });

      it('refuses a negative watch revision', () => {
        expect(() => store.watch('/', -1, { onEvent() {}, onCompacted() {}, onError() {} })).toThrow(InvalidError);
      });
    });
  });
}

describeStoreContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});

// The decorators keep the contract over either store (the control plane stacks both on etcd).
describeStoreContract('WatchCache over MemoryStore', async () => {
  const store = new WatchCache(new MemoryStore());
  return { store, holdsValues: true, cleanup: () => store.close() };
});

describeStoreContract('GroupCommit over MemoryStore', async () => {
  const store = new GroupCommit(new MemoryStore());
  return { store, cleanup: () => store.close() };
});

describe('on a real etcd', () => {
  let etcd: EtcdServer | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  describeStoreContract('EtcdStore', async () => {
    if (!etcd) throw new Error('etcd did not start');
    const store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    return { store, cleanup: () => store.close() };
  });

  describeStoreContract('GroupCommit over WatchCache over EtcdStore', async () => {
    if (!etcd) throw new Error('etcd did not start');
    const store = new GroupCommit(new WatchCache(await EtcdStore.connect({ endpoints: [etcd.endpoint] })));
    return { store, holdsValues: true, cleanup: () => store.close() };
  });
});
