// MemoryStore's watches. Each one replays the keyspace's history from its
// next revision, so the guarantee is etcd's by construction: every event with
// revision > afterRevision, in order, once. Delivery is always later than the
// change (through the clock's setTimeout), never inside the writer's call, as
// events from etcd arrive on their own stream.
//
// Compaction works as in etcd: a watch whose next revision has been compacted
// away (one starting below it, or one still behind when it happens) gets
// onCompacted and ends; a caught-up watch carries on. And as etcd's watch
// server reads `prev` at the event's revision − 1, an event whose previous
// revision is compacted comes without `prev`; one asked with `previous: false` gets none.
import type { MemoryStoreClock } from './memory-clock.js';
import type { MemoryKeyspace } from './memory-keyspace.js';
import { onEventThrew } from './store-rules.js';
import type { KeyValue, StoreEvent, WatchCallbacks, WatchHandle } from './store.js';

export class MemoryWatches {
  private readonly watches = new Set<MemoryWatch>();
  private timer: unknown;
  private scheduled = false;

  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly clock: MemoryStoreClock,
  ) {}

  add(prefix: string, afterRevision: number, callbacks: WatchCallbacks, previous: boolean): WatchHandle {
    const watch = new MemoryWatch(this.keyspace, prefix, afterRevision, callbacks, () => this.watches.delete(watch), previous);
    this.watches.add(watch);
    this.schedule();
    return watch;
  }

  /** Something changed: deliver it soon, after the caller has moved on. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.timer = this.clock.setTimeout(() => {
      this.scheduled = false;
      // What callbacks write meanwhile goes to the next round, as it would
      // arrive later from etcd: a handler that writes on every event cannot
      // keep this loop from ever returning.
      const until = this.keyspace.currentRevision;
      for (const watch of [...this.watches]) watch.catchUp(until);
    }, 0);
  }

  /** Ends every watch quietly (the store is closing). */
  closeAll(): void {
    this.clock.clearTimeout(this.timer);
    this.scheduled = false;
    for (const watch of [...this.watches]) void watch.close();
  }
}

class MemoryWatch implements WatchHandle {
  private nextRevision: number;
  /** Set once the watch is over (closed, compacted or failed): no callback after that. */
  private over = false;

  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly prefix: string,
    afterRevision: number,
    private readonly callbacks: WatchCallbacks,
    private readonly onOver: () => void,
    /** Whether events carry `prev` at all (WatchOptions.previous). */
    private readonly previous: boolean,
  ) {
    this.nextRevision = afterRevision + 1;
  }

  close(): Promise<void> {
    this.finish();
    return Promise.resolve();
  }

  progress(): number {
    return this.nextRevision - 1;
  }

  /** Delivers every revision from `nextRevision` to `until`. */
  catchUp(until: number): void {
    // Callbacks may compact or close: look again each round.
    while (!this.over) {
      const compactRevision = this.keyspace.compactRevision;
      if (this.nextRevision < compactRevision) {
        this.finish();
        this.callbacks.onCompacted(compactRevision);
        return;
      }
      const next = this.keyspace.eventsAtOrAfter(this.nextRevision);
      if (!next || next.revision > until) return;
      // etcd's watch server reads prev at revision − 1, which fails once compacted.
      const withPrev = this.previous && next.revision - 1 >= compactRevision;
      for (const event of next.events) {
        if (!(event.type === 'put' ? event.kv.key : event.key).startsWith(this.prefix)) continue;
        try {
          this.callbacks.onEvent(copyEvent(event, withPrev));
        } catch (error) {
          this.finish();
          this.callbacks.onError(onEventThrew(this.prefix, error));
          return;
        }
        // close() may be called from inside onEvent.
        if (this.over) return;
      }
      this.nextRevision = next.revision + 1;
    }
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.onOver();
  }
}

/** A fresh event for the caller, who may do as it likes with it (etcd's are fresh objects too). */
function copyEvent(event: StoreEvent, withPrev: boolean): StoreEvent {
  const prev = withPrev && event.prev ? { prev: copyKeyValue(event.prev) } : {};
  return event.type === 'put'
    ? { type: 'put', kv: copyKeyValue(event.kv), ...prev }
    : { type: 'delete', key: event.key, modRevision: event.modRevision, ...prev };
}

export function copyKeyValue(kv: KeyValue): KeyValue {
  return { ...kv };
}
