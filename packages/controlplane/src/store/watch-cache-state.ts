// WatchCache's memory: every key-value of the store at one revision, in key
// byte order, and a bounded window of the most recent events, from which
// watches resuming at a recent revision are served (Kubernetes' cacher keeps
// the same pair: a store and a cyclic buffer of watch events).
//
// Values are kept once: the key-value objects the upstream watch delivered
// are frozen and shared by the key map, the window's events and every list
// handed out, never copied. An event's `prev` is the key-value the map held
// (etcd is not asked for its own copy: see WatchOptions), so a window of
// updates costs references, not a second copy of every value.
import { compareKeys } from './memory-keyspace.js';
import type { KeyValue, StoreEvent } from './store.js';

export function revisionOf(event: StoreEvent): number {
  return event.type === 'put' ? event.kv.modRevision : event.modRevision;
}

export function keyOfEvent(event: StoreEvent): string {
  return event.type === 'put' ? event.kv.key : event.key;
}

export class WatchCacheState {
  private readonly kvs = new Map<string, KeyValue>();
  /** Every key of `kvs`, sorted in byte order (etcd's range order). */
  private keys: string[] = [];
  private events: StoreEvent[] = [];
  /** Index of the oldest event still in the window. */
  private head = 0;
  /** The revision the cache reflects. */
  revision = 0;
  /**
   * The oldest revision a watch may start at (etcd's compact revision): every
   * event with a revision ≥ this is in the window. A watch after revision A
   * needs A + 1 ≥ compactRevision.
   */
  compactRevision = 0;
  /** Events at exactly this revision lose `prev`: the revision before it was compacted (as etcd replays it). */
  private strippedAt = 0;

  constructor(private readonly windowSize: number) {}

  /** Replaces everything with a fresh list read at `revision`; the window starts empty after it. */
  reset(items: readonly KeyValue[], revision: number): void {
    this.kvs.clear();
    for (const kv of items) this.kvs.set(kv.key, Object.freeze(kv));
    this.keys = [...this.kvs.keys()].sort(compareKeys);
    this.events = [];
    this.head = 0;
    this.revision = revision;
    this.compactRevision = revision + 1;
  }

  get(key: string): KeyValue | undefined {
    return this.kvs.get(key);
  }

  /** The keys under `prefix` in byte order: a contiguous run of the sorted keys. */
  list(prefix: string): KeyValue[] {
    const items: KeyValue[] = [];
    for (let index = this.lowerBound(prefix); index < this.keys.length; index++) {
      const key = this.keys[index]!;
      if (!key.startsWith(prefix)) break;
      items.push(this.kvs.get(key)!);
    }
    return items;
  }

  /**
   * Applies one event from upstream (revision order); returns it as stored in
   * the window. Its `prev` is the key-value the map held for the key, not one
   * from upstream (the cache's watch asks for none), and none at a revision
   * whose previous revision was compacted, as etcd replays it.
   */
  apply(incoming: StoreEvent): StoreEvent {
    const revision = revisionOf(incoming);
    const held = revision === this.strippedAt ? undefined : this.kvs.get(keyOfEvent(incoming));
    let event: StoreEvent;
    if (incoming.type === 'put') {
      const kv = Object.freeze(incoming.kv);
      event = held ? { type: 'put', kv, prev: held } : { type: 'put', kv };
    } else {
      const { key, modRevision } = incoming;
      event = held ? { type: 'delete', key, modRevision, prev: held } : { type: 'delete', key, modRevision };
    }
    Object.freeze(event);
    if (event.type === 'put') {
      const kv = event.kv;
      if (!held && !this.kvs.has(kv.key)) this.keys.splice(this.lowerBound(kv.key), 0, kv.key);
      this.kvs.set(kv.key, kv);
    } else if (this.kvs.delete(event.key)) {
      this.keys.splice(this.lowerBound(event.key), 1);
    }
    this.revision = Math.max(this.revision, revision);
    this.events.push(event);
    if (this.events.length - this.head > this.windowSize) this.dropOldest();
    return event;
  }

  /** Moves the revision on for a write the cache does not hold (a key outside its keyspace). */
  advance(revision: number): void {
    this.revision = Math.max(this.revision, revision);
  }

  /** Discards the window's events older than `revision` (the store compacted there). */
  compact(revision: number): void {
    if (revision < this.compactRevision) return;
    while (this.head < this.events.length && revisionOf(this.events[this.head]!) < revision) this.head++;
    this.compactRevision = revision;
    this.strippedAt = revision;
    for (let index = this.head; index < this.events.length; index++) {
      const event = this.events[index]!;
      if (revisionOf(event) !== revision || !event.prev) continue;
      const { prev: _gone, ...rest } = event;
      this.events[index] = Object.freeze(rest as StoreEvent);
    }
    this.pack();
  }

  /** The window's events with revision > `afterRevision`, oldest first (the caller checked compactRevision). */
  eventsAfter(afterRevision: number): StoreEvent[] {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (revisionOf(this.events[middle]!) <= afterRevision) low = middle + 1;
      else high = middle;
    }
    return this.events.slice(low);
  }

  get windowLength(): number {
    return this.events.length - this.head;
  }

  private dropOldest(): void {
    const dropped = this.events[this.head++]!;
    this.compactRevision = Math.max(this.compactRevision, revisionOf(dropped) + 1);
    this.pack();
  }

  /** Shifts the array down once half of it is dropped events, so dropping stays O(1) amortised. */
  private pack(): void {
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  private lowerBound(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.keys[middle]!, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
