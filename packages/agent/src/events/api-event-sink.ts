// The agent's PodEventSink: events become Kubernetes Events written through
// the control plane's Api (Apply, with the node's own identity; the node
// authorizer lets a node write only Events about itself and its pods).
// record() never throws and never waits: it correlates (repeats raise a
// count, each pod is rate-limited; event-correlator.ts) and queues; one
// drain loop writes the queue in order. The queue is bounded and holds one
// entry per Event (a newer count replaces a queued older one); when it is
// full, or the control plane is away, events are dropped with a debug line —
// an event lost is better than a reconcile stalled.
import { status } from '@grpc/grpc-js';
import { grpcCodeOf, messageOf, type Event, type Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import { EventCorrelator, type EventCorrelatorOptions } from './event-correlator.js';
import type { PodEvent, PodEventSink } from './pod-events.js';

/** kubelet's `source.component`, for Skiff's agent. */
export const AGENT_EVENT_COMPONENT = 'skiff-agent';

export interface ApiEventSinkOptions extends Omit<EventCorrelatorOptions, 'source'> {
  /** The node: `source.host` of every event. */
  readonly nodeName: string;
  /** Creates or updates the Event (the agent's Api Apply); rejects on any failure. */
  readonly write: (event: Event) => Promise<void>;
  readonly log: Logger;
  /** Events waiting to be written at most (default 1000). */
  readonly maxQueued?: number;
}

export interface EventSinkStats {
  readonly written: number;
  /** Held back by the per-pod rate limit (their counts still go up). */
  readonly limited: number;
  /** Lost: the queue was full, the write failed, or the control plane was away. */
  readonly dropped: number;
}

/** Write failures that mean "the control plane is not there", not "this event is wrong". */
const AWAY = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.UNAUTHENTICATED, status.CANCELLED]);

export class ApiEventSink implements PodEventSink {
  private readonly correlator: EventCorrelator;
  /** By event namespace/name, in order of first queueing. */
  private readonly queue = new Map<string, Event>();
  private readonly maxQueued: number;
  private draining?: Promise<void>;
  private stopped = false;
  private counts = { written: 0, limited: 0, dropped: 0 };

  constructor(private readonly options: ApiEventSinkOptions) {
    this.correlator = new EventCorrelator({ ...options, source: { component: AGENT_EVENT_COMPONENT, host: options.nodeName } });
    this.maxQueued = options.maxQueued ?? 1000;
  }

  record(pod: Pod, event: PodEvent): void {
    try {
      if (this.stopped) return;
      const next = this.correlator.correlate(pod, event);
      if (!next) {
        this.counts.limited++;
        this.options.log.debug({ pod: pod.metadata.name, reason: event.reason }, 'event held back by the rate limit');
        return;
      }
      const key = `${next.metadata.namespace ?? ''}/${next.metadata.name}`;
      if (!this.queue.has(key) && this.queue.size >= this.maxQueued) {
        this.counts.dropped++;
        this.options.log.debug({ pod: pod.metadata.name, reason: event.reason, queued: this.queue.size }, 'event dropped: the queue is full');
        return;
      }
      this.queue.set(key, next);
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    } catch (error) {
      this.options.log.debug({ err: error }, 'event dropped');
    }
  }

  /** Resolves once everything queued so far was written or dropped. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Drops what is queued and accepts nothing more (the agent is stopping). */
  stop(): void {
    this.stopped = true;
    this.counts.dropped += this.queue.size;
    this.queue.clear();
  }

  stats(): EventSinkStats {
    return { ...this.counts };
  }

  private async drain(): Promise<void> {
    for (;;) {
      const first = this.queue.entries().next();
      if (first.done) return;
      const [key, event] = first.value;
      this.queue.delete(key);
      try {
        await this.options.write(event);
        this.counts.written++;
      } catch (error) {
        const away = AWAY.has(grpcCodeOf(error) ?? -1);
        const lost = 1 + (away ? this.queue.size : 0);
        this.counts.dropped += lost;
        // The control plane is away: what is queued would only wait for it, and go stale.
        if (away) this.queue.clear();
        this.options.log.debug({ event: key, reason: event.reason, dropped: lost, error: messageOf(error) }, 'event dropped: the write failed');
      }
    }
  }
}
