import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, BatchConflictError, ConflictError, UnavailableError } from '@skiff/api';
import { ManualClock } from '../store/memory-clock.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { FencedStore, NotLeaderError } from './fenced-store.js';
import { LEADER_ELECTION_KEY, LeaderElection } from './leader-election.js';
import { silentLogger } from './logger.js';

const LEASE_MS = 1000;

/** Lets the promises that timers started settle (the memory store answers in microtasks). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves the clock in small steps, settling in between, as real time would. */
async function run(clock: ManualClock, ms: number, stepMs = 10): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    clock.advance(stepMs);
    await settle();
  }
}

/** The store as one control plane sees it: `cut` makes every call fail (a partition from etcd). */
function reachable(store: Store): { store: Store; cut(): void } {
  let cut = false;
  const guard = <T>(call: () => Promise<T>): Promise<T> => (cut ? Promise.reject(new UnavailableError('etcd unreachable')) : call());
  const proxy = new Proxy(store, {
    get(target, name: keyof Store) {
      const value = target[name];
      if (typeof value !== 'function') return value;
      if (name === 'watch') return value.bind(target);
      return (...args: unknown[]) => guard(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
  return { store: proxy, cut: () => (cut = true) };
}

interface Candidate {
  readonly election: LeaderElection;
  readonly events: string[];
}

function candidate(id: string, store: Store, clock: ManualClock): Candidate {
  const events: string[] = [];
  const election = new LeaderElection({
    store,
    identity: { id, address: `${id}:7400` },
    leaseDurationMs: LEASE_MS,
    clock,
    log: silentLogger,
    onStartedLeading: (term) => void events.push(`start ${term}`),
    onStoppedLeading: (term) => void events.push(`stop ${term} at ${clock.now()}`),
  });
  return { election, events };
}

describe('LeaderElection', () => {
  it('elects one of several candidates; its term is the election key revision, and the others know who leads', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, minLeaseTtlSeconds: 1 });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => candidate(id, store, clock));
    for (const x of [a!, b!, c!]) x.election.start();
    await run(clock, 300);

    const leaders = [a!, b!, c!].filter((x) => x.election.state.role === 'leader');
    expect(leaders).toHaveLength(1);
    const key = await store.get(LEADER_ELECTION_KEY);
    const term = leaders[0]!.election.term;
    expect(term).toBe(key?.createRevision);
    expect(leaders[0]!.events).toEqual([`start ${term}`]);
    const leaderId = JSON.parse(key!.value).id as string;
    for (const x of [a!, b!, c!].filter((x) => x !== leaders[0])) {
      expect(x.election.state).toEqual({ role: 'standby', leader: { id: leaderId, address: `${leaderId}:7400`, term } });
      expect(x.events).toEqual([]);
    }
    // Kept for many leases while renewals succeed.
    await run(clock, 10 * LEASE_MS, 50);
    expect(leaders[0]!.election.term).toBe(term);
    for (const x of [a!, b!, c!]) await x.election.stop();
    await store.close();
  });

  it('hands over at once when the leader stops (its lease revoked): the standby leads a later term', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, minLeaseTtlSeconds: 1 });
    const a = candidate('a', store, clock);
    a.election.start();
    await run(clock, 50);
    const b = candidate('b', store, clock);
    b.election.start();
    await run(clock, 50);
    const first = a.election.term!;
    expect(b.election.state.role).toBe('standby');

    await a.election.stop();
    expect(a.events).toEqual([`start ${first}`, `stop ${first} at ${clock.now()}`]);
    // The standby's watch sees the deletion: well within the lease, no expiry waited for.
    await run(clock, 100);
    expect(b.election.term).toBeGreaterThan(first);
    expect(await store.get(LEADER_ELECTION_KEY)).toMatchObject({ createRevision: b.election.term });
    await b.election.stop();
    await store.close();
  });

  it('steps a leader cut off from the store down within the renew deadline, before its lease expires and a successor starts', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, minLeaseTtlSeconds: 1 });
    const cutOff = reachable(store);
    const a = candidate('a', cutOff.store, clock);
    a.election.start();
    await run(clock, 50);
    const b = candidate('b', store, clock);
    b.election.start();
    await run(clock, 50);
    const term = a.election.term!;
    const fenced = new FencedStore(store, { key: LEADER_ELECTION_KEY, term });
    await fenced.create('/skiff/things/x', 'by a');

    cutOff.cut();
    const cutAt = clock.now();
    let successorAt: number | undefined;
    let stoppedAt: number | undefined;
    for (let t = 0; t < 3 * LEASE_MS && successorAt === undefined; t += 10) {
      await run(clock, 10);
      if (stoppedAt === undefined && a.election.state.role === 'standby') stoppedAt = clock.now();
      if (b.election.term !== undefined) successorAt = clock.now();
    }
    expect(stoppedAt).toBeDefined();
    expect(successorAt).toBeDefined();
    // Deposed by its own deadline (70 % of the lease after the last renewal), strictly before the successor.
    expect(stoppedAt! - cutAt).toBeLessThanOrEqual(LEASE_MS * 0.7 + 10);
    expect(stoppedAt!).toBeLessThan(successorAt!);
    expect(a.events).toEqual([`start ${term}`, expect.stringMatching(new RegExp(`^stop ${term} at `))]);
    expect(b.election.term).toBeGreaterThan(term);

    // A write of the old term that reaches etcd late fails there, and writes nothing.
    await expect(fenced.create('/skiff/things/y', 'late')).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.create('/skiff/things/z', 'later')).rejects.toThrow(/not the leader: the term \d+ of this control plane is over/);
    expect(await store.get('/skiff/things/y')).toBeUndefined();
    await b.election.stop();
    await a.election.stop();
    await store.close();
  });

  it('warns when the store grants a longer lease than asked (etcd rounds up to 1.5 × its election timeout)', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock }); // etcd's default minimum: 2 s
    const warnings: string[] = [];
    const election = new LeaderElection({
      store,
      identity: { id: 'a', address: 'a:7400' },
      leaseDurationMs: LEASE_MS,
      clock,
      log: { ...silentLogger, warn: (fields, message) => void warnings.push(`${message} ${JSON.stringify(fields)}`) },
      onStartedLeading: () => {},
      onStoppedLeading: () => {},
    });
    election.start();
    await run(clock, 50);
    expect(election.term).toBeDefined();
    expect(warnings).toEqual([expect.stringMatching(/^etcd granted a longer leader lease than asked .*"askedSeconds":1,"grantedSeconds":2/)]);
    await election.stop();
    await store.close();
  });

  it('refuses timings that cannot fence: a renew deadline not shorter than the lease', () => {
    const store = new MemoryStore();
    const options = { store, identity: { id: 'a', address: 'a:1' }, log: silentLogger, onStartedLeading: () => {}, onStoppedLeading: () => {} };
    expect(() => new LeaderElection({ ...options, leaseDurationMs: 1000, renewDeadlineMs: 1000 })).toThrow(/must be shorter than the lease/);
    expect(() => new LeaderElection({ ...options, leaseDurationMs: 1000, renewDeadlineMs: 500, retryPeriodMs: 600 })).toThrow(/cannot meet/);
  });
});

describe('FencedStore', () => {
  it('writes while the election key is at its term, with the errors of the unfenced store; refuses once the key moved', async () => {
    const store = new MemoryStore();
    const term = await store.create(LEADER_ELECTION_KEY, '{"id":"a"}');
    const fenced = new FencedStore(store, { key: LEADER_ELECTION_KEY, term });

    const x = await fenced.create('/p/x', '1');
    await expect(fenced.create('/p/x', '2')).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(fenced.update('/p/x', '2', x + 100)).rejects.toMatchObject({ currentRevision: x });
    await expect(fenced.update('/p/x', '2', x + 100)).rejects.toBeInstanceOf(ConflictError);
    const x2 = await fenced.update('/p/x', '2', x);
    const batch = fenced.commit([
      { op: 'create', key: '/p/y', value: '1' },
      { op: 'delete', key: '/p/x', expectedRevision: x },
    ]);
    await expect(batch).rejects.toBeInstanceOf(BatchConflictError);
    await expect(batch).rejects.toMatchObject({ index: 1, message: `batch op 1 (delete /p/x): expected revision ${x}, current revision ${x2}` });
    await fenced.delete('/p/x', x2);
    await expect(fenced.commit(Array.from({ length: 128 }, (_, i) => ({ op: 'create' as const, key: `/q/${i}`, value: '' })))).rejects.toThrow(/at most 127/);

    // A successor's term: the old leader's writes fail, reads still work.
    const current = await store.get(LEADER_ELECTION_KEY);
    await store.delete(LEADER_ELECTION_KEY, current!.modRevision);
    await store.create(LEADER_ELECTION_KEY, '{"id":"b"}');
    await expect(fenced.create('/p/z', '1')).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.commit([{ op: 'create', key: '/p/z', value: '1' }])).rejects.toMatchObject({ code: 9 });
    expect(await fenced.get('/p/z')).toBeUndefined();
    await store.close();
  });
});
