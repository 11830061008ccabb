// HTTP to a registry: which scheme a registry is spoken to with, one request
// (redirects followed, network failures named), timeouts, bounded reads of
// response bodies, and statuses turned into ImagePullError reasons.
// Authentication sits on top of this (registry-auth.ts).
import { ImagePullError } from './errors.js';
import { registryHost } from './image-reference.js';
import { isRecord } from '@skiff/api/core';
import { isLoopbackHost } from '../host-port.js';
import { registryGet, type RegistryFetch, type RegistryRequestInit, type RegistryResponse } from './registry-http.js';

export type FetchFunction = RegistryFetch;

export interface RegistryTransportOptions {
  /** Extra registries ("host" or "host:port") spoken to over plain HTTP; loopback always is. */
  readonly insecureRegistries?: readonly string[];
  /** For tests: count or intercept requests (the global fetch fits). Default: registryGet (registry-http.ts). */
  readonly fetch?: FetchFunction;
  /** Timeout for manifest and token requests (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** A blob download that receives nothing for this long is abandoned (default 60 s). */
  readonly blobIdleTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_BLOB_IDLE_TIMEOUT_MS = 60_000;

/** "http://host:port" or "https://host:port" for `registry` (host[:port], IPv6 bracketed). */
export function registryBaseUrl(registry: string, insecureRegistries: readonly string[] = []): string {
  const host = registryHost(registry);
  // Loopback registries (how tests and local development run them) speak plain HTTP.
  const plain = isLoopbackHost(host) || insecureRegistries.includes(registry) || insecureRegistries.includes(host);
  return `${plain ? 'http' : 'https'}://${registry}`;
}

/** A network failure in words: the errno code and message of the error, or of fetch's cause when it has one. */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const failure = error.cause instanceof Error ? error.cause : error;
  const code = (failure as NodeJS.ErrnoException).code;
  return code ? `${code} ${failure.message}` : failure.message;
}

/** "MANIFEST_UNKNOWN: manifest unknown" from a registry error body, or a trimmed snippet. */
export async function describeErrorBody(response: RegistryResponse): Promise<string> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    return `HTTP ${response.status}`;
  }
  try {
    const body: unknown = JSON.parse(text);
    const entries = isRecord(body) && Array.isArray(body['errors']) ? (body['errors'] as unknown[]) : [];
    const errors = entries
      .map((entry) =>
        isRecord(entry) ? [entry['code'], entry['message']].filter((part) => typeof part === 'string').join(': ') : '',
      )
      .filter((part) => part.length > 0);
    if (errors.length > 0) return `HTTP ${response.status} ${errors.join('; ')}`;
  } catch {
    // Not JSON: quote it.
  }
  const snippet = text.trim().slice(0, 200);
  return snippet.length > 0 ? `HTTP ${response.status} ${snippet}` : `HTTP ${response.status}`;
}

/** Reads a body into memory, refusing more than `limit` bytes. */
async function readLimited(response: RegistryResponse, limit: number, image: string, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw new ImagePullError('invalid-image', image, `${what} is ${declared} bytes, more than the ${limit} allowed`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > limit) {
        await response.body.cancel().catch(() => undefined);
        throw new ImagePullError('invalid-image', image, `${what} is more than the ${limit} bytes allowed`);
      }
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

/**
 * A response body into memory, at most `limit` bytes. Too many bytes are
 * 'invalid-image' (a document too large to trust) or, for a blob whose size
 * was announced, 'digest-mismatch'; a broken connection is 'unreachable'.
 */
export async function readBody(
  response: RegistryResponse,
  limit: number,
  image: string,
  what: string,
  overflow: 'invalid-image' | 'digest-mismatch' = 'invalid-image',
): Promise<Buffer> {
  try {
    return await readLimited(response, limit, image, what);
  } catch (error) {
    if (error instanceof ImagePullError) {
      // A blob larger than its descriptor says is a content mismatch, not a malformed image.
      if (overflow === 'digest-mismatch' && error.reason === 'invalid-image') {
        throw new ImagePullError('digest-mismatch', image, `${what}: more than the announced ${limit} bytes`);
      }
      throw error;
    }
    throw new ImagePullError('unreachable', image, `${what}: reading the response failed: ${describeCause(error)}`, {
      cause: error,
    });
  }
}

/** Throws the ImagePullError a non-2xx response means: 404 not found, 401/403 unauthorized, else a registry error. */
export async function assertOk(response: RegistryResponse, image: string, what: string): Promise<void> {
  if (response.ok) return;
  const detail = await describeErrorBody(response);
  if (response.status === 404) throw new ImagePullError('not-found', image, `${what}: ${detail}`);
  if (response.status === 401 || response.status === 403) {
    throw new ImagePullError(
      'unauthorized',
      image,
      `${what}: ${detail} (the repository may not exist, or may require credentials)`,
    );
  }
  throw new ImagePullError('registry-error', image, `${what}: ${detail}`);
}

/**
 * An abort signal that fires after `ms` without a call to touch(): for
 * transfers that may take long as a whole but must not stall.
 */
export class IdleTimeout {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error(`no data for ${this.ms} ms`)), this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

export class RegistryTransport {
  private readonly insecure: readonly string[];
  private readonly fetchFn: FetchFunction;
  private readonly requestTimeoutMs: number;
  private readonly blobIdleTimeoutMs: number;

  constructor(options: RegistryTransportOptions = {}) {
    this.insecure = options.insecureRegistries ?? [];
    this.fetchFn = options.fetch ?? registryGet;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.blobIdleTimeoutMs = options.blobIdleTimeoutMs ?? DEFAULT_BLOB_IDLE_TIMEOUT_MS;
  }

  /** The URL of `path` (starting with "/v2/") on `registry`. */
  url(registry: string, path: string): string {
    return `${registryBaseUrl(registry, this.insecure)}${path}`;
  }

  /** A signal for one request that must complete (manifests, small blobs, tokens). */
  requestSignal(): AbortSignal {
    return AbortSignal.timeout(this.requestTimeoutMs);
  }

  /** A signal for a download that may be long but must not stall. */
  idleTimeout(): IdleTimeout {
    return new IdleTimeout(this.blobIdleTimeoutMs);
  }

  /**
   * One request; a failure to get any response is 'unreachable', named by
   * `target` (default: the URL). Redirects are followed.
   */
  async fetch(url: string | URL, init: RegistryRequestInit, image: string, target: string = String(url)): Promise<RegistryResponse> {
    try {
      // Blob GETs are commonly redirected to object storage; registryGet (and
      // fetch) drop the Authorization header when that leaves the registry's origin.
      return await this.fetchFn(url, init);
    } catch (error) {
      throw new ImagePullError('unreachable', image, `${target}: ${describeCause(error)}`, { cause: error });
    }
  }
}
