// What GroupCommit adds to the Store contract (which it passes in
// store-contract.test.ts): concurrent single writes share one transaction,
// and each still gets exactly the answer a write of its own would have.
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError, NotFoundError, UnavailableError } from '@skiff/api';
import { GroupCommit } from './group-commit.js';
import { MemoryStore } from './memory-store.js';
import type { Store, WriteOp } from './store.js';

/** A MemoryStore that records every transaction it is sent, and can be told to fail the next ones. */
function recordingStore() {
  const memory = new MemoryStore();
  const commits: string[][] = [];
  let failing: Error | undefined;
  const store: Store = new Proxy(memory, {
    get: (target, property, receiver) => {
      if (property !== 'commit') return Reflect.get(target, property, receiver);
      return async (ops: readonly WriteOp[]) => {
        commits.push(ops.map((op) => op.key));
        if (failing) throw failing;
        return target.commit(ops);
      };
    },
  });
  return { store, memory, commits, failWith: (error: Error | undefined) => void (failing = error) };
}

describe('GroupCommit', () => {
  it('sends concurrent creates of distinct keys as one transaction, each answered with its revision', async () => {
    const { store, memory, commits } = recordingStore();
    const grouped = new GroupCommit(store, { maxInFlight: 1 });
    const revisions = await Promise.all(Array.from({ length: 50 }, (_, i) => grouped.create(`/k/${i}`, `v${i}`)));
    expect(commits).toHaveLength(1);
    expect(commits[0]).toHaveLength(50);
    expect(new Set(revisions).size).toBe(1);
    const { items } = await memory.list('/k/');
    expect(items).toHaveLength(50);
    for (const kv of items) expect(kv.modRevision).toBe(revisions[0]);
    expect(grouped.stats).toEqual({ writes: 50, groups: 1 });
  });

  it('gives a failed compare its own error and commits the rest without it', async () => {
    const { store, memory, commits } = recordingStore();
    const existing = await memory.create('/k/taken', '1');
    const stale = await memory.create('/k/stale', '1');
    const current = await memory.update('/k/stale', '2', stale);
    const grouped = new GroupCommit(store, { maxInFlight: 1 });

    const results = await Promise.allSettled([
      grouped.create('/k/a', 'a'),
      grouped.create('/k/taken', 'again'),
      grouped.update('/k/stale', '3', stale),
      grouped.delete('/k/missing', 7),
      grouped.create('/k/b', 'b'),
    ]);
    const [a, taken, staleUpdate, missing, b] = results;
    expect(a).toMatchObject({ status: 'fulfilled' });
    expect(b).toMatchObject({ status: 'fulfilled' });
    expect(taken).toMatchObject({ status: 'rejected', reason: expect.any(AlreadyExistsError) });
    expect((taken as PromiseRejectedResult).reason.message).toBe(`/k/taken already exists (mod revision ${existing})`);
    expect(staleUpdate).toMatchObject({ status: 'rejected', reason: expect.any(ConflictError) });
    expect((staleUpdate as PromiseRejectedResult).reason.currentRevision).toBe(current);
    expect(missing).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
    // The group shrank one failed op at a time and the survivors committed together.
    expect(commits.at(-1)).toEqual(['/k/a', '/k/b']);
    expect((await memory.list('/k/')).items.map((kv) => `${kv.key}=${kv.value}`)).toEqual(['/k/a=a', '/k/b=b', '/k/stale=2', '/k/taken=1']);
  });

  it('never puts two writes to one key in a transaction: the second waits, and loses its compare', async () => {
    const { store, memory, commits } = recordingStore();
    const revision = await memory.create('/k/x', '0');
    const grouped = new GroupCommit(store, { maxInFlight: 1 });
    const results = await Promise.allSettled([
      grouped.update('/k/x', 'first', revision),
      grouped.update('/k/x', 'second', revision),
      grouped.create('/k/y', 'y'),
      grouped.create('/k/z', 'z'),
    ]);
    for (const keys of commits) expect(new Set(keys).size).toBe(keys.length);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect((await memory.get('/k/x'))?.value).toBe('first');
  });

  it('answers each op of a group refused whole for one op (a lease that is gone) on its own', async () => {
    const { store, memory } = recordingStore();
    const lease = await memory.grantLease(60);
    await memory.revokeLease(lease);
    const grouped = new GroupCommit(store, { maxInFlight: 1 });
    const [good, leased] = await Promise.allSettled([grouped.create('/k/good', '1'), grouped.create('/k/leased', '1', { lease })]);
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(leased).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
    expect((await memory.list('/k/')).items.map((kv) => kv.key)).toEqual(['/k/good']);
  });

  it('fails every write of a group the store could not take, and writes none of them', async () => {
    const { store, memory, failWith } = recordingStore();
    const grouped = new GroupCommit(store, { maxInFlight: 1 });
    failWith(new UnavailableError('etcd is down'));
    const results = await Promise.allSettled([grouped.create('/k/a', '1'), grouped.create('/k/b', '1')]);
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(UnavailableError) });
    failWith(undefined);
    expect((await memory.list('/k/')).items).toEqual([]);
    await expect(grouped.create('/k/a', '1')).resolves.toBeGreaterThan(0);
  });
});
