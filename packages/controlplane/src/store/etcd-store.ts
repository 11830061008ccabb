// The Store on etcd 3.4, through the `etcd3` client. This is the only module
// that knows the store is etcd (see store.ts and DESIGN.md).
//
// We use etcd3's raw RPC clients (kv, leaseClient, watchClient) rather than its
// builders, because the builders hide what the Store contract needs:
//  - transactions: we need the failure branch's responses (to tell a conflict
//    from a missing key in the same atomic read) and the header revision;
//  - watches: etcd3's Watcher swallows the compact revision when etcd cancels
//    a watch for compaction (it emits a bare "Watcher canceled: " error) and,
//    on reconnect, resumes from the last *header* revision it saw, which can
//    skip events still being replayed. The watch below speaks the Watch stream
//    itself (see PrefixWatch);
//  - leases: etcd3's Lease object keeps itself alive forever; the Store renews
//    exactly once per call.
import {
  ClientClosedError,
  Etcd3,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCGenericError,
  GRPCUnavailableError,
  castGrpcError,
  isRecoverableError,
  type CallContext,
  type ICompare,
  type IDuplexStream,
  type IKeyValue,
  type ILeaseKeepAliveResponse,
  type IOptions,
  type IRequestOp,
  type IWatchRequest,
  type IWatchResponse,
} from 'etcd3';
import type { CallOptions } from '@grpc/grpc-js';
import {
  AlreadyExistsError,
  BatchConflictError,
  ConflictError,
  InvalidError,
  NotFoundError,
  SkiffError,
  StoreUnavailableError,
} from '../errors.js';
import type {
  KeyValue,
  ListResult,
  Store,
  StoreEvent,
  WatchCallbacks,
  WatchHandle,
  WriteOp,
} from './store.js';

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** How long `EtcdStore.connect` waits for etcd to answer (default 5 s). */
  dialTimeoutMs?: number;
  /** Deadline of every unary request (default 10 s), so a hung etcd surfaces as StoreUnavailableError. */
  requestTimeoutMs?: number;
}

/** etcd's default `--max-txn-ops`: a larger transaction is rejected by the server. */
export const MAX_TXN_OPS = 128;
/** Keys per range request when listing; pages are read at one pinned revision. */
const LIST_PAGE_SIZE = 500;
const DEFAULT_DIAL_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Watch reconnect back-off: quick first retry (etcd restarts take ~1 s), capped so recovery stays prompt. */
const WATCH_BACKOFF_INITIAL_MS = 50;
const WATCH_BACKOFF_MAX_MS = 2_000;
/** How long close() waits for a cancelled gRPC stream to report its final status. */
const STREAM_SHUTDOWN_MS = 1_000;

// A key no Skiff object can have ("\0"), used for reads whose only purpose is
// the response header (current revision, liveness).
const PROBE_KEY = Buffer.from([0]);

type FaultPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
type Stream<Req, Res> = IDuplexStream<Req, Res>;

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly endpointLabel: string;
  private readonly dialTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly watches = new Set<PrefixWatch>();
  private closed = false;

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new InvalidError('EtcdStore needs at least one etcd endpoint');
    this.endpointLabel = options.endpoints.join(',');
    this.dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const requestTimeoutMs = this.requestTimeoutMs;
    this.client = new Etcd3({
      hosts: options.endpoints,
      // Streams (watch, keep-alive) live long: only unary calls get a deadline.
      defaultCallOptions: (context: CallContext): CallOptions =>
        context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs },
      faultHandling: {
        // etcd3's default is a per-host circuit breaker (open for 5 s after 3
        // failures) plus 3 retries. With one endpoint the breaker only turns a
        // one-second etcd restart into five seconds of errors, and retrying a
        // write whose reply was lost is ambiguous. So: no breaker; retry only
        // UNAVAILABLE (the request never reached a server), and only as many
        // times as there are other endpoints to fail over to.
        host: () => failoverPolicy(1),
        global: failoverPolicy(options.endpoints.length),
      },
      grpcOptions: {
        // grpc-js backs reconnects off up to 120 s by default; etcd restarts
        // take about a second, so retry the connection quickly.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
        // Notice a dead connection under an idle watch stream. etcd rejects
        // pings more often than every 5 s, and pings without an active stream.
        'grpc.keepalive_time_ms': 10_000,
        // Generous timeout: a starved machine must not turn slow pongs into dropped connections.
        'grpc.keepalive_timeout_ms': 20_000,
        // Large lists and watch batches: etcd itself allows up to 2 GiB.
        'grpc.max_receive_message_length': -1,
      },
    });
  }

  /** Creates a store and waits (up to `dialTimeoutMs`) until etcd answers; throws StoreUnavailableError otherwise. */
  static async connect(options: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(options);
    try {
      await store.ping(store.dialTimeoutMs);
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.call('get', () => this.client.kv.range({ key: Buffer.from(key) }));
    const kv = response.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async list(prefix: string): Promise<ListResult> {
    // Pages after the first are read at the first page's revision, so the
    // whole list is one consistent snapshot whatever its size. If that
    // revision is compacted between pages (unlikely), start over.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listOnce(prefix);
      } catch (error) {
        if (attempt >= 3 || !isCompactedError(error)) throw this.mapError('list', error);
      }
    }
  }

  private async listOnce(prefix: string): Promise<ListResult> {
    const { start, end } = prefixRange(prefix);
    const items: KeyValue[] = [];
    let revision = 0;
    let from = start;
    for (;;) {
      const pinned = revision;
      const response = await this.call('list', () =>
        this.client.kv.range({ key: from, range_end: end, limit: LIST_PAGE_SIZE, ...(pinned > 0 ? { revision: pinned } : {}) }),
        { rethrowRaw: true },
      );
      if (revision === 0) revision = Number(response.header.revision);
      for (const kv of response.kvs) items.push(toKeyValue(kv));
      const last = response.kvs[response.kvs.length - 1];
      if (!response.more || last === undefined) break;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
    // etcd returns ranges in key byte order: that is the order we promise.
    return { items, revision };
  }

  async create(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    const response = await this.call('create', () =>
      this.client.kv.txn({
        compare: [createCompare(key)],
        success: [putOp(key, value, options.lease)],
        failure: [rangeOp(key)],
      }),
    );
    if (!response.succeeded) {
      const current = firstKv(response.responses[0]?.response_range.kvs);
      throw new AlreadyExistsError(
        `${key} already exists${current ? ` (mod revision ${current.mod_revision})` : ''}`,
      );
    }
    return Number(response.header.revision);
  }

  /**
   * Without `options.lease` the key keeps the lease it has (etcd's
   * `ignore_lease`), so rewriting a TTL'd object does not make it immortal;
   * pass a lease to move it, or "0" to detach it.
   */
  async update(key: string, value: string, expectedRevision: number, options: { lease?: string } = {}): Promise<number> {
    requireRevision(expectedRevision, `update of ${key}`);
    const response = await this.call('update', () =>
      this.client.kv.txn({
        compare: [modRevisionCompare(key, expectedRevision)],
        success: [putOp(key, value, options.lease ?? null)],
        failure: [rangeOp(key)],
      }),
    );
    if (!response.succeeded) throw casFailure(key, expectedRevision, response.responses[0]?.response_range.kvs);
    return Number(response.header.revision);
  }

  async delete(key: string, expectedRevision: number): Promise<number> {
    requireRevision(expectedRevision, `delete of ${key}`);
    const response = await this.call('delete', () =>
      this.client.kv.txn({
        compare: [modRevisionCompare(key, expectedRevision)],
        success: [{ request_delete_range: { key: Buffer.from(key) } }],
        failure: [rangeOp(key)],
      }),
    );
    if (!response.succeeded) throw casFailure(key, expectedRevision, response.responses[0]?.response_range.kvs);
    return Number(response.header.revision);
  }

  async commit(ops: readonly WriteOp[]): Promise<number> {
    if (ops.length > MAX_TXN_OPS) {
      throw new InvalidError(`a batch holds at most ${MAX_TXN_OPS} operations (etcd's max-txn-ops); got ${ops.length}`);
    }
    const seen = new Set<string>();
    ops.forEach((op, index) => {
      // etcd rejects a transaction that writes one key twice; say which op.
      if (seen.has(op.key)) throw new InvalidError(`batch op ${index} writes ${op.key} a second time`);
      seen.add(op.key);
      if (op.op !== 'create') requireRevision(op.expectedRevision, `batch op ${index} (${op.op} ${op.key})`);
    });
    if (ops.length === 0) return this.currentRevision();

    const response = await this.call('commit', () =>
      this.client.kv.txn({
        compare: ops.map((op) => (op.op === 'create' ? createCompare(op.key) : modRevisionCompare(op.key, op.expectedRevision))),
        success: ops.map((op): IRequestOp => {
          switch (op.op) {
            case 'create':
              return putOp(op.key, op.value, op.lease);
            case 'update':
              return putOp(op.key, op.value, op.lease ?? null);
            case 'delete':
              return { request_delete_range: { key: Buffer.from(op.key) } };
          }
        }),
        // On failure etcd runs these reads in the same transaction, so they
        // show exactly the state the compares saw: no second round trip, no
        // race with writers in between.
        failure: ops.map((op) => rangeOp(op.key)),
      }),
    );
    if (response.succeeded) return Number(response.header.revision);

    for (const [index, op] of ops.entries()) {
      const current = firstKv(response.responses[index]?.response_range.kvs);
      const problem = expectationProblem(op, current);
      if (problem !== undefined) {
        throw new BatchConflictError(`batch op ${index} (${op.op} ${op.key}): ${problem}`, index);
      }
    }
    // Every compare holds in the failure snapshot: etcd disagrees with us about
    // compare semantics. Do not guess an index.
    throw new Error(`etcd rejected a batch of ${ops.length} ops but every expectation holds at revision ${response.header.revision}`);
  }

  watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks): WatchHandle {
    if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
      throw new InvalidError(`watch revision must be a non-negative integer, got ${afterRevision}`);
    }
    if (this.closed) throw new StoreUnavailableError(`store for etcd at ${this.endpointLabel} is closed`);
    const watch = new PrefixWatch(this.client, this.endpointLabel, prefix, afterRevision, callbacks, () =>
      this.watches.delete(watch),
    );
    this.watches.add(watch);
    watch.start();
    return watch;
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new InvalidError(`lease TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
    }
    const response = await this.call('grantLease', () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }));
    if (response.error) throw new Error(`etcd refused a lease of ${ttlSeconds}s: ${response.error}`);
    // int64 ids come back as decimal strings (proto-loader longs: String): no precision lost.
    return response.ID;
  }

  async keepAliveLease(lease: string): Promise<void> {
    requireLeaseId(lease);
    const response = await this.call('keepAliveLease', () => this.renewOnce(lease));
    // etcd answers a renewal of an unknown (expired or revoked) lease with TTL 0.
    if (Number(response.TTL) <= 0) throw new NotFoundError(`lease ${lease} not found (expired or revoked)`);
  }

  /** LeaseKeepAlive is a stream in etcd's API: open it, renew once, close it. */
  private async renewOnce(lease: string): Promise<ILeaseKeepAliveResponse> {
    const stream = await this.client.leaseClient.leaseKeepAlive();
    try {
      return await new Promise<ILeaseKeepAliveResponse>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new GRPCDeadlineExceededError(`lease keep-alive got no answer within ${this.requestTimeoutMs} ms`)),
          this.requestTimeoutMs,
        );
        stream.on('data', (response: ILeaseKeepAliveResponse) => {
          clearTimeout(timer);
          resolve(response);
        });
        stream.on('error', (error: Error) => {
          clearTimeout(timer);
          reject(castGrpcError(error));
        });
        stream.on('end', () => {
          clearTimeout(timer);
          reject(new GRPCUnavailableError('lease keep-alive stream ended without an answer'));
        });
        stream.write({ ID: lease });
      });
    } finally {
      terminateStream(stream);
    }
  }

  /** Idempotent: revoking an expired or already revoked lease succeeds. */
  async revokeLease(lease: string): Promise<void> {
    requireLeaseId(lease);
    try {
      await this.call('revokeLease', () => this.client.leaseClient.leaseRevoke({ ID: lease }), { rethrowRaw: true });
    } catch (error) {
      if (error instanceof EtcdLeaseInvalidError) return;
      throw this.mapError('revokeLease', error);
    }
  }

  /**
   * Idempotent: a revision that is already compacted is not an error. Does not
   * wait for the physical compaction (etcd does it in the background; waiting
   * on a large database could exceed the request deadline) — watches and reads
   * of older revisions fail as soon as this resolves.
   */
  async compact(revision: number): Promise<void> {
    if (!Number.isSafeInteger(revision) || revision <= 0) {
      throw new InvalidError(`compaction revision must be a positive integer, got ${revision}`);
    }
    try {
      await this.call('compact', () => this.client.kv.compact({ revision, physical: false }), { rethrowRaw: true });
    } catch (error) {
      if (isCompactedError(error)) return;
      if (error instanceof Error && /future revision/.test(error.message)) {
        throw new InvalidError(`cannot compact at ${revision}: it is a future revision`);
      }
      throw this.mapError('compact', error);
    }
  }

  async currentRevision(): Promise<number> {
    const response = await this.call('currentRevision', () =>
      this.client.kv.range({ key: PROBE_KEY, count_only: true }),
    );
    return Number(response.header.revision);
  }

  async ping(timeoutMs: number): Promise<void> {
    // A linearizable read goes through the raft leader: an answer means etcd
    // can serve writes too, not just that a socket is open.
    const attempt = this.call('ping', () =>
      this.client.kv.range({ key: PROBE_KEY, count_only: true }, { deadline: Date.now() + timeoutMs }),
    );
    let timer: NodeJS.Timeout | undefined;
    // The gRPC deadline should fire first; this guards against anything that
    // happens before the call is made (e.g. waiting for a connection slot).
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`etcd at ${this.endpointLabel} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([attempt, expired]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        throw error;
      }
      throw withCause(new StoreUnavailableError(`etcd at ${this.endpointLabel} did not answer a ping: ${messageOf(error)}`), error);
    } finally {
      clearTimeout(timer);
      attempt.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((watch) => watch.close()));
    this.client.close();
  }

  /**
   * Runs one etcd call, translating failures: network and server
   * unavailability → StoreUnavailableError naming the endpoint, a missing
   * lease → NotFoundError, anything else → an Error naming the operation. The
   * original error is kept as `cause`. `rethrowRaw` leaves the translation to
   * a caller that first checks for an error it expects.
   */
  private async call<T>(operation: string, run: () => Promise<T>, options: { rethrowRaw?: boolean } = {}): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`${operation}: store for etcd at ${this.endpointLabel} is closed`);
    try {
      return await run();
    } catch (error) {
      if (options.rethrowRaw) throw error;
      throw this.mapError(operation, error);
    }
  }

  private mapError(operation: string, error: unknown): Error {
    if (error instanceof SkiffError) return error;
    if (error instanceof ClientClosedError) {
      return withCause(new StoreUnavailableError(`${operation}: store for etcd at ${this.endpointLabel} is closed`), error);
    }
    if (isUnavailable(error)) {
      return withCause(
        new StoreUnavailableError(`${operation}: etcd at ${this.endpointLabel} is unavailable: ${messageOf(error)}`),
        error,
      );
    }
    if (error instanceof EtcdLeaseInvalidError) {
      return withCause(new NotFoundError(`${operation}: lease not found (expired or revoked)`), error);
    }
    return withCause(new Error(`${operation} on etcd at ${this.endpointLabel} failed: ${messageOf(error)}`), error);
  }
}

// ---------------------------------------------------------------------------
// Watch

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
 * through onCompacted and stop; etcd3's own Watcher would surface it only as
 * an error string without the revision (see the file header).
 */
class PrefixWatch implements WatchHandle {
  private nextRevision: number;
  private stream: Stream<IWatchRequest, IWatchResponse> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = WATCH_BACKOFF_INITIAL_MS;
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
  ) {
    this.nextRevision = afterRevision + 1;
    this.range = prefixRange(prefix);
  }

  start(): void {
    this.connect();
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
    let stream: Stream<IWatchRequest, IWatchResponse>;
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
        prev_kv: true,
        progress_notify: true,
      },
    });
  }

  private onResponse(stream: Stream<IWatchRequest, IWatchResponse>, response: IWatchResponse): void {
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
      this.backoffMs = WATCH_BACKOFF_INITIAL_MS;
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
        // The caller could not take this event, so "every event once" cannot
        // hold any more: end the watch and say why rather than skip it.
        this.finish();
        terminateStream(stream);
        this.callbacks.onError(
          withCause(new Error(`watch on "${this.prefix}": onEvent threw: ${messageOf(error)}`), error),
        );
        return;
      }
      // close() may be called from inside onEvent.
      if (this.over) return;
    }
    if (highest > 0) this.nextRevision = Math.max(this.nextRevision, highest + 1);
  }

  private onStreamFailure(stream: Stream<IWatchRequest, IWatchResponse> | undefined, error: unknown): void {
    if (this.over || stream !== this.stream) return;
    this.stream = undefined;
    // It already failed: no final status to wait for, just release it.
    if (stream) terminateStream(stream);
    const typed = error instanceof Error && error.constructor === Error ? castGrpcError(error) : error;
    if (!isUnavailable(typed) && !(typed instanceof ClientClosedError)) {
      this.finish();
      this.callbacks.onError(
        withCause(new Error(`watch on "${this.prefix}" at etcd ${this.endpointLabel} failed: ${messageOf(error)}`), error),
      );
      return;
    }
    if (typed instanceof ClientClosedError) {
      // The store was closed under us: that ends the watch quietly.
      this.finish();
      return;
    }
    // Transient: reconnect from nextRevision after a back-off.
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, WATCH_BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => this.connect(), delay);
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

/**
 * Ends a gRPC stream we opened and resolves once it has reported its final
 * status (or after a short grace).
 */
function shutdownStream<Req, Res>(stream: Stream<Req, Res>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STREAM_SHUTDOWN_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('status', done);
    stream.on('error', done);
    terminateStream(stream);
  });
}

/**
 * Half-closes, then cancels. Half-closing first matters: etcd3 marks the host
 * failed — closing every channel to it, other watches' included — when a
 * stream errors while still writable, and our own cancel() would otherwise
 * count as such an error.
 */
function terminateStream<Req, Res>(stream: Stream<Req, Res>): void {
  try {
    stream.end();
  } catch {
    // Already ended.
  }
  try {
    stream.cancel();
  } catch {
    // Already finished.
  }
}

// ---------------------------------------------------------------------------
// Helpers

function failoverPolicy(attempts: number): FaultPolicy {
  const noSubscription = (): { dispose(): void } => ({ dispose: () => undefined });
  const policy = {
    onSuccess: noSubscription,
    onFailure: noSubscription,
    async execute<T>(
      run: (context: { signal: AbortSignal }) => PromiseLike<T> | T,
      signal: AbortSignal = new AbortController().signal,
    ): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await run({ signal });
        } catch (error) {
          const retryable = error instanceof GRPCUnavailableError || (error instanceof Error && isRawUnavailable(error));
          if (attempt >= attempts || !retryable || signal.aborted) throw error;
        }
      }
    },
  };
  // cockatiel's IPolicy also declares `_altReturn`, a type-only marker that
  // never exists at runtime; etcd3 only ever calls execute().
  return policy as unknown as FaultPolicy;
}

function isRawUnavailable(error: Error): boolean {
  return 'code' in error && error.code === 14;
}

/** Network trouble or an etcd that cannot serve right now (no leader, timeouts, overload). */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isRecoverableError(error)) return true; // UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, CANCELLED, UNKNOWN, …
  if ('code' in error && typeof error.code === 'number') {
    // A raw grpc-js error that etcd3 did not cast (stream errors).
    return [1, 2, 4, 8, 10, 13, 14].includes(error.code);
  }
  // Connection-level failures etcd3 could not classify.
  return error instanceof GRPCGenericError && /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|No connection/i.test(error.message);
}

function isCompactedError(error: unknown): boolean {
  return error instanceof Error && /required revision has been compacted/.test(error.message);
}

function toKeyValue(kv: IKeyValue): KeyValue {
  const lease = kv.lease && kv.lease !== '0' ? kv.lease : undefined;
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    ...(lease !== undefined ? { lease } : {}),
  };
}

function firstKv(kvs: IKeyValue[] | undefined): IKeyValue | undefined {
  return kvs?.[0];
}

/** [start, end) covering every key that starts with `prefix`, as etcd expects. */
function prefixRange(prefix: string): { start: Buffer; end: Buffer } {
  const start = Buffer.from(prefix);
  // "\0" as both ends means "every key" to etcd.
  if (start.length === 0) return { start: Buffer.from([0]), end: Buffer.from([0]) };
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0xff;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return { start, end: end.subarray(0, i + 1) };
    }
  }
  // All 0xff: no upper bound, i.e. to the end of the keyspace.
  return { start, end: Buffer.from([0]) };
}

function createCompare(key: string): ICompare {
  return { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 };
}

function modRevisionCompare(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: revision };
}

/** `lease` null: keep the key's current lease; undefined: none (a create). */
function putOp(key: string, value: string, lease: string | undefined | null): IRequestOp {
  if (lease !== undefined && lease !== null) requireLeaseId(lease, true);
  const leaseFields = lease === null ? { ignore_lease: true } : lease === undefined ? {} : { lease };
  return { request_put: { key: Buffer.from(key), value: Buffer.from(value), ...leaseFields } };
}

function rangeOp(key: string): IRequestOp {
  return { request_range: { key: Buffer.from(key), keys_only: true } };
}

function casFailure(key: string, expectedRevision: number, kvs: IKeyValue[] | undefined): Error {
  const current = firstKv(kvs);
  if (!current) return new NotFoundError(`${key} not found`);
  const currentRevision = Number(current.mod_revision);
  return new ConflictError(
    `${key} changed: expected revision ${expectedRevision}, current revision ${currentRevision}`,
    currentRevision,
  );
}

/** Why `op` would fail against the key's `current` state, or undefined if it would not. */
function expectationProblem(op: WriteOp, current: IKeyValue | undefined): string | undefined {
  if (op.op === 'create') {
    return current ? `already exists (mod revision ${current.mod_revision})` : undefined;
  }
  if (!current) return 'not found';
  const revision = Number(current.mod_revision);
  return revision === op.expectedRevision ? undefined : `expected revision ${op.expectedRevision}, current revision ${revision}`;
}

function requireRevision(revision: number, what: string): void {
  // A missing key has mod revision 0 in etcd compares: "update if revision 0"
  // would quietly create the key. Only real revisions are accepted.
  if (!Number.isSafeInteger(revision) || revision <= 0) {
    throw new InvalidError(`${what}: expected revision must be a positive integer, got ${revision}`);
  }
}

function requireLeaseId(lease: string, allowZero = false): void {
  if (!/^\d+$/.test(lease) || (!allowZero && /^0+$/.test(lease))) {
    throw new InvalidError(`"${lease}" is not a lease id (a positive decimal integer)`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withCause<E extends Error>(error: E, cause: unknown): E {
  error.cause = cause;
  return error;
}
