// What client-go's EventCorrelator does for kubelet, for the agent's events:
// an event seen before (same object, part, type, reason and message) is the
// same Event again — count + 1, a new lastTimestamp, the name it was first
// written under — and each object may have only so many writes: a burst, then
// one per refill interval (a token bucket per object, as client-go's spam
// filter). Both caches are LRU-bounded, so a node with many pods cannot grow
// them without end. Pure: the clock is injected.
import { eventObject, involvedObjectOf, type Event, type InvolvedObject, type Pod } from '@skiff/api/core';
import { LRUCache } from 'lru-cache';
import type { PodEvent } from './pod-events.js';

export interface EventCorrelatorOptions {
  /** Where the events come from: kubelet's `source`. */
  readonly source: { readonly component: string; readonly host: string };
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Distinct events remembered for aggregation, and objects for rate limiting (default 4096, client-go's). */
  readonly maxEntries?: number;
  /** Writes an object may have at once (default 25, client-go's burst). */
  readonly burst?: number;
  /** One more write is allowed per this many milliseconds (default 5 minutes, client-go's qps of 1/300). */
  readonly refillMs?: number;
}

interface Seen {
  readonly name: string;
  readonly count: number;
  readonly firstTimestamp: string;
}

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/** Event names are at most 253 characters; the suffix is "." and 16 hex digits. */
const NAME_PREFIX_MAX = 253 - 17;

export class EventCorrelator {
  private readonly seen: LRUCache<string, Seen>;
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly now: () => number;
  private readonly burst: number;
  private readonly refillMs: number;
  private sequence = 0n;

  constructor(private readonly options: EventCorrelatorOptions) {
    const max = options.maxEntries ?? 4096;
    this.seen = new LRUCache({ max });
    this.buckets = new LRUCache({ max });
    this.now = options.now ?? Date.now;
    this.burst = options.burst ?? 25;
    this.refillMs = options.refillMs ?? 300_000;
  }

  /**
   * The Event to write for `event` about `pod` (a new one, or the one it
   * repeats with its count raised), or undefined when the pod has used up its
   * writes for now. A repeat that is held back still counts: the next write
   * of it carries every occurrence.
   */
  correlate(pod: Pod, event: PodEvent): Event | undefined {
    const namespace = pod.metadata.namespace ?? 'default';
    const involved = involvedObjectOf({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, namespace } }, event.fieldPath);
    const nowMs = this.now();
    const now = new Date(nowMs).toISOString();
    const key = JSON.stringify([involved.kind, involved.namespace, involved.name, involved.uid, involved.fieldPath, event.type, event.reason, event.message]);
    const before = this.seen.get(key);
    const seen: Seen = before
      ? { ...before, count: before.count + 1 }
      : { name: this.newName(involved, nowMs), count: 1, firstTimestamp: now };
    this.seen.set(key, seen);
    if (!this.take(objectKey(involved), nowMs)) return undefined;
    return eventObject(
      { name: seen.name, namespace },
      {
        involved,
        type: event.type,
        reason: event.reason,
        message: event.message,
        source: this.options.source,
        count: seen.count,
        firstTimestamp: seen.firstTimestamp,
        lastTimestamp: now,
      },
    );
  }

  /** A token from the object's bucket, refilled by elapsed time; false when it is empty. */
  private take(key: string, now: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const refilled = Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) / this.refillMs);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at: now });
      return false;
    }
    this.buckets.set(key, { tokens: refilled - 1, at: now });
    return true;
  }

  /** client-go's `<object name>.<unix nanoseconds in hex>`, unique on this node (a sequence breaks ties within a millisecond). */
  private newName(involved: InvolvedObject, nowMs: number): string {
    const nanos = BigInt(nowMs) * 1_000_000n + (this.sequence++ % 1_000_000n);
    return `${involved.name.slice(0, NAME_PREFIX_MAX)}.${nanos.toString(16)}`;
  }
}

/** The rate limit is per object (any part of it, any reason), as client-go's spam filter keys it. */
function objectKey(involved: InvolvedObject): string {
  return JSON.stringify([involved.kind, involved.namespace, involved.name, involved.uid]);
}
