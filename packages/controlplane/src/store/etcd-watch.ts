// A Store watch on etcd's Watch stream, spoken directly rather than through
// etcd3's Watcher: that one swallows the compact revision when etcd cancels a
// watch for compaction (it emits a bare "Watcher canceled: " error) and, on
// reconnect, resumes from the last *header* revision it saw, which can skip
// events still being replayed.
import { ClientClosedError, GRPCUnavailableError, type Etcd3, type IWatchRequest, type IWatchResponse } from 'etcd3';
import { BACKOFF, Backoff, messageOf } from '@skiff/api';
import { prefixRange, toKeyValue } from './etcd-codec.js';
import { isUnavailable, typedGrpcError } from './etcd-errors.js';
import { shutdownStream, terminateStream, type Stream } from './etcd-streams.js';
import { onEventThrew } from './store-rules.js';
import type { StoreEvent, WatchCallbacks, WatchHandle } from './store.js';

type WatchStream = Stream<IWatchRequest, IWatchResponse>;

/**
 * One Store watch on its own etcd Watch stream. The delivery guarantee (every
 * event with revision > afterRevision, in order, once) rests on `nextRevision`:
 *  - it only advances past revisions whose events were all handed to the
 *    caller (etcd never splits one revision's events across responses unless
 *    `fragment` is requested, which we do not), or past a progress
 *    notification's revision (etcd sends those only to watchers that are
 *    fully caught up);
 *  - every (re)connect asks etcd to start at `nextRevision`, and events below
 *    it (a replay racing a reconnect) are dropped.
 * Compaction: etcd 3.4 accepts the watch ("created"), then sends a response
 * with `canceled: true` and `compact_revision` set. We report that revision
 * through onCompacted and stop.
 */
export class PrefixWatch implements WatchHandle {
  private nextRevision: number;
  private stream: WatchStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff(BACKOFF.storeWatch);
  /** Set once the watch is over (closed, compacted or failed): no callback after that. */
  private over = false;
  private closing: Promise<void> | undefined;
  /** The stream being opened, if any, so close() can wait for it to be shut down. */
  private opening: Promise<void> | undefined;
  private readonly range: { start: Buffer; end: Buffer };

  constructor(
    private readonly client: Etcd3,
    private readonly endpointLabel: string,
    private readonly prefix: string,
    afterRevision: number,
    private readonly callbacks: WatchCallbacks,
    private readonly onOver: () => void,
    /** Ask etcd for each event's previous value (WatchOptions.previous). */
    private readonly previous: boolean,
  ) {
    this.nextRevision = afterRevision + 1;
    this.range = prefixRange(prefix);
  }

  start(): void {
    this.connect();
  }

  progress(): number {
    return this.nextRevision - 1;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const stream = this.stream;
      const opening = this.opening;
      this.finish();
      if (stream) await shutdownStream(stream);
      // A stream still being opened is shut down by openStream() itself.
      await opening;
    })();
    return this.closing;
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.over) return;
    const opening = this.openStream();
    this.opening = opening;
    void opening.finally(() => {
      if (this.opening === opening) this.opening = undefined;
    });
  }

  private async openStream(): Promise<void> {
    let stream: WatchStream;
    try {
      stream = await this.client.watchClient.watch();
    } catch (error) {
      this.onStreamFailure(undefined, error);
      return;
    }
    if (this.over) {
      await shutdownStream(stream);
      return;
    }
    this.stream = stream;
    stream.on('data', (response: IWatchResponse) => this.onResponse(stream, response));
    stream.on('error', (error: Error) => this.onStreamFailure(stream, error));
    stream.on('end', () => this.onStreamFailure(stream, new GRPCUnavailableError('etcd ended the watch stream')));
    stream.write({
      create_request: {
        key: this.range.start,
        range_end: this.range.end,
        start_revision: this.nextRevision,
        prev_kv: this.previous,
        progress_notify: true,
      },
    });
  }

  private onResponse(stream: WatchStream, response: IWatchResponse): void {
    if (this.over || stream !== this.stream) return;
    const compactRevision = Number(response.compact_revision);
    if (compactRevision > 0) {
      this.finish();
      terminateStream(stream);
      this.callbacks.onCompacted(compactRevision);
      return;
    }
    if (response.canceled) {
      this.finish();
      terminateStream(stream);
      const reason = response.cancel_reason || 'no reason given';
      this.callbacks.onError(new Error(`etcd cancelled the watch on "${this.prefix}": ${reason}`));
      return;
    }
    if (response.created) {
      // etcd accepted the watch: the connection is healthy again.
      this.backoff.reset();
      return;
    }
    if (response.events.length === 0) {
      // Progress notification: everything up to the header revision was sent.
      this.nextRevision = Math.max(this.nextRevision, Number(response.header.revision) + 1);
      return;
    }
    const floor = this.nextRevision;
    let highest = 0;
    for (const event of response.events) {
      const revision = Number(event.kv.mod_revision);
      if (revision < floor) continue;
      highest = Math.max(highest, revision);
      const prev = event.prev_kv ? toKeyValue(event.prev_kv) : undefined;
      const storeEvent: StoreEvent =
        event.type === 'Delete'
          ? { type: 'delete', key: event.kv.key.toString('utf8'), modRevision: revision, ...(prev ? { prev } : {}) }
          : { type: 'put', kv: toKeyValue(event.kv), ...(prev ? { prev } : {}) };
      try {
        this.callbacks.onEvent(storeEvent);
      } catch (error) {
        // The caller could not take this event: end the watch and say why
        // rather than skip it.
        this.finish();
        terminateStream(stream);
        this.callbacks.onError(onEventThrew(this.prefix, error));
        return;
      }
      // close() may be called from inside onEvent.
      if (this.over) return;
    }
    if (highest > 0) this.nextRevision = Math.max(this.nextRevision, highest + 1);
  }

  private onStreamFailure(stream: WatchStream | undefined, error: unknown): void {
    if (this.over || stream !== this.stream) return;
    this.stream = undefined;
    // It already failed: no final status to wait for, just release it.
    if (stream) terminateStream(stream);
    const typed = typedGrpcError(error);
    if (typed instanceof ClientClosedError) {
      // The store was closed under us: that ends the watch quietly.
      this.finish();
      return;
    }
    if (!isUnavailable(typed)) {
      this.finish();
      this.callbacks.onError(
        new Error(`watch on "${this.prefix}" at etcd ${this.endpointLabel} failed: ${messageOf(error)}`, { cause: error }),
      );
      return;
    }
    // Transient: reconnect from nextRevision after a back-off.
    this.retryTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stream = undefined;
    this.onOver();
  }
}
