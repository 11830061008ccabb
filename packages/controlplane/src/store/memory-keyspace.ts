// MemoryStore's data, kept the way etcd's MVCC store keeps it: one global
// revision that every write transaction bumps once (and a transaction that
// changes nothing does not bump), each key's create and mod revision, and the
// history of every revision since the last compaction, for watches to replay.
import type { KeyValue, StoreEvent } from './store.js';

/** One write of a transaction. `lease` undefined: no lease; null: keep the key's lease. */
export type Mutation =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly lease: string | undefined | null }
  | { readonly type: 'delete'; readonly key: string };

/** The events of one revision, in the order the transaction wrote them. */
export interface RevisionEvents {
  readonly revision: number;
  readonly events: readonly StoreEvent[];
}

export class MemoryKeyspace {
  private readonly kvs = new Map<string, KeyValue>();
  /** Sorted by revision; holds every revision ≥ the compact revision. */
  private readonly history: RevisionEvents[] = [];
  /** etcd's revision of an empty store is 1: its first write is revision 2. */
  private revision = 1;
  private compacted = 0;

  constructor(private readonly onChange: () => void) {}

  get currentRevision(): number {
    return this.revision;
  }

  get compactRevision(): number {
    return this.compacted;
  }

  /** The stored key-value itself (frozen): copy it before handing it out. */
  get(key: string): KeyValue | undefined {
    return this.kvs.get(key);
  }

  /** Keys under `prefix`, in key byte order as etcd ranges are. */
  list(prefix: string): KeyValue[] {
    const items: { kv: KeyValue; bytes: Buffer }[] = [];
    for (const kv of this.kvs.values()) if (kv.key.startsWith(prefix)) items.push({ kv, bytes: Buffer.from(kv.key) });
    return items.sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map((item) => item.kv);
  }

  /**
   * Keys under `prefix` as they were at `revision` (compact revision ≤
   * `revision` ≤ current), in key byte order: the current keys with the
   * history after `revision` undone, newest first, so each key ends up with
   * the `prev` of its oldest later event (what it was at `revision`).
   */
  listAt(prefix: string, revision: number): KeyValue[] {
    const then = new Map<string, KeyValue>();
    for (const kv of this.kvs.values()) if (kv.key.startsWith(prefix)) then.set(kv.key, kv);
    for (let index = this.history.length - 1; index >= 0; index--) {
      const entry = this.history[index]!;
      if (entry.revision <= revision) break;
      for (const event of entry.events) {
        const key = event.type === 'put' ? event.kv.key : event.key;
        if (!key.startsWith(prefix)) continue;
        if (event.prev) then.set(key, event.prev);
        else then.delete(key);
      }
    }
    return [...then.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  /** Keys attached to `lease`, in key byte order (the order etcd revokes them in). */
  keysWithLease(lease: string): string[] {
    const keys: string[] = [];
    for (const kv of this.kvs.values()) if (kv.lease === lease) keys.push(kv.key);
    return keys.sort(compareKeys);
  }

  /** Applies `mutations` as one transaction; returns the store revision after it. */
  apply(mutations: readonly Mutation[]): number {
    const revision = this.revision + 1;
    const events: StoreEvent[] = [];
    for (const mutation of mutations) {
      const prev = this.kvs.get(mutation.key);
      if (mutation.type === 'delete') {
        if (!prev) continue;
        this.kvs.delete(mutation.key);
        events.push(Object.freeze({ type: 'delete', key: mutation.key, modRevision: revision, prev }));
        continue;
      }
      const lease = mutation.lease === null ? prev?.lease : mutation.lease;
      const kv: KeyValue = Object.freeze({
        key: mutation.key,
        value: mutation.value,
        modRevision: revision,
        createRevision: prev ? prev.createRevision : revision,
        ...(lease !== undefined ? { lease } : {}),
      });
      this.kvs.set(mutation.key, kv);
      events.push(Object.freeze(prev ? { type: 'put', kv, prev } : { type: 'put', kv }));
    }
    if (events.length === 0) return this.revision;
    this.revision = revision;
    this.history.push(Object.freeze({ revision, events: Object.freeze(events) }));
    this.onChange();
    return revision;
  }

  /** Forgets the history below `revision` (at most the current revision, above the last compaction). */
  compact(revision: number): void {
    this.compacted = revision;
    this.history.splice(0, this.indexAtOrAfter(revision));
    this.onChange();
  }

  /** The first revision with events at or after `revision`, if any. */
  eventsAtOrAfter(revision: number): RevisionEvents | undefined {
    return this.history[this.indexAtOrAfter(revision)];
  }

  private indexAtOrAfter(revision: number): number {
    let low = 0;
    let high = this.history.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.history[middle]?.revision ?? Infinity) < revision) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * etcd orders keys by their UTF-8 bytes; JavaScript's `<` compares UTF-16
 * units, which differs beyond the BMP. Below U+D800 the two orders agree (and
 * a shared prefix encodes to the same bytes), so this compares units up to the
 * first difference and encodes only when a surrogate or a unit above them
 * decides it. Keys are ASCII in practice: the watch cache's binary searches
 * ran two Buffer allocations per comparison, about 25 per create.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  if (index === length) {
    // One is a prefix of the other, unless a trailing lone surrogate (encoded as U+FFFD) is paired in the longer one.
    if (index === 0 || a.charCodeAt(index - 1) < 0xd800) return a.length - b.length;
    return byteCompare(a, b);
  }
  const x = a.charCodeAt(index);
  const y = b.charCodeAt(index);
  return x < 0xd800 && y < 0xd800 ? x - y : byteCompare(a, b);
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
