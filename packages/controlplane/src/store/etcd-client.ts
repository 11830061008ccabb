// The etcd3 client behind EtcdStore and the fault policy it runs every call
// under: which failures are retried (and where), deadlines, gRPC connection
// settings, and the one wrapper that turns a failed call into a Store error.
import { Etcd3, type CallContext, type IOptions } from 'etcd3';
import type { CallOptions } from '@grpc/grpc-js';
import { InvalidError } from '@skiff/api';
import { closedError, isUnreachable, toStoreError } from './etcd-errors.js';

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** How long `EtcdStore.connect` waits for etcd to answer (default 5 s). */
  dialTimeoutMs?: number;
  /** Deadline of every unary request (default 10 s), so a hung etcd surfaces as UnavailableError. */
  requestTimeoutMs?: number;
  /**
   * Mutual TLS (PEM): required when the endpoints are https, refused when they
   * are http — a mix, or https without credentials, is a configuration error.
   */
  tls?: EtcdTlsCredentials;
}

/** The CA etcd's certificates chain to, and the client certificate and key the control plane presents. */
export interface EtcdTlsCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const DEFAULT_DIAL_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

type FaultPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** One etcd3 client, its settings, and whether the store that owns it has been closed. */
export class EtcdConnection {
  readonly client: Etcd3;
  /** The endpoints as error messages name them. */
  readonly endpointLabel: string;
  readonly dialTimeoutMs: number;
  readonly requestTimeoutMs: number;
  private closed = false;

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new InvalidError('EtcdStore needs at least one etcd endpoint');
    this.endpointLabel = options.endpoints.join(',');
    this.dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const requestTimeoutMs = this.requestTimeoutMs;
    const credentials = tlsCredentials(options.endpoints, options.tls);
    this.client = new Etcd3({
      hosts: options.endpoints,
      ...(credentials ? { credentials } : {}),
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

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs one etcd call, translating failures (see toStoreError); the original
   * error is kept as `cause`. `rethrowRaw` leaves the translation to a caller
   * that first checks for an error it expects.
   */
  async call<T>(operation: string, run: () => Promise<T>, options: { rethrowRaw?: boolean } = {}): Promise<T> {
    if (this.closed) throw closedError(this.endpointLabel, operation);
    try {
      return await run();
    } catch (error) {
      if (options.rethrowRaw) throw error;
      throw this.toStoreError(operation, error);
    }
  }

  toStoreError(operation: string, error: unknown): Error {
    return toStoreError(operation, this.endpointLabel, error);
  }

  /** Refuses further calls; returns false if that had already happened. */
  markClosed(): boolean {
    if (this.closed) return false;
    this.closed = true;
    return true;
  }

  /** Closes the client's channels (after markClosed, once nothing uses them). */
  release(): void {
    this.client.close();
  }
}

/** etcd3's `credentials` for https endpoints; undefined for http ones. Throws InvalidError on a mix or missing credentials. */
export function tlsCredentials(endpoints: readonly string[], tls: EtcdTlsCredentials | undefined): IOptions['credentials'] {
  const schemes = new Set(endpoints.map((endpoint) => schemeOf(endpoint)));
  if (schemes.size > 1) {
    throw new InvalidError(`etcd endpoints ${endpoints.join(',')}: mix http and https; give every member's client URL with the same scheme (https for TLS)`);
  }
  if (!schemes.has('https')) {
    if (tls) throw new InvalidError(`etcd endpoints ${endpoints.join(',')}: TLS credentials were given but the URLs are http; use https:// URLs`);
    return undefined;
  }
  if (!tls) throw new InvalidError(`etcd endpoints ${endpoints.join(',')}: https needs a CA and a client certificate`);
  return { rootCertificate: Buffer.from(tls.caPem), certChain: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) };
}

function schemeOf(endpoint: string): string {
  const match = /^([a-z]+):\/\//i.exec(endpoint);
  // etcd3 treats a bare host:port as plaintext.
  return match ? match[1]!.toLowerCase() : 'http';
}

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
          if (attempt >= attempts || !isUnreachable(error) || signal.aborted) throw error;
        }
      }
    },
  };
  // cockatiel's IPolicy also declares `_altReturn`, a type-only marker that
  // never exists at runtime; etcd3 only ever calls execute().
  return policy as unknown as FaultPolicy;
}
