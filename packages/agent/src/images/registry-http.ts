// GET requests to a registry over node:http and node:https, with the part of
// fetch's behaviour the registry client relies on: redirects followed (the
// Authorization header dropped when one leaves the origin), an abort signal,
// and the body streamed. Not the global fetch: that loads undici and compiles
// its HTTP parser to WebAssembly on the first pull, which the agent then keeps
// for good (about 7 MB of its RSS, measured with bench:runtime); node:http's
// parser is native and already loaded.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A response body: its chunks, once, or cancel() to drop the rest. */
export interface RegistryBody extends AsyncIterable<Uint8Array> {
  cancel(): Promise<void>;
}

/** What the registry client reads of a response (a subset of fetch's Response, which also fits). */
export interface RegistryResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: RegistryBody | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface RegistryRequestInit {
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** One GET, redirects followed; the global fetch fits this type too (tests wrap it to count requests). */
export type RegistryFetch = (url: string | URL, init: RegistryRequestInit) => Promise<RegistryResponse>;

/** As many as fetch follows. */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class IncomingResponse implements RegistryResponse {
  readonly status: number;
  readonly body: RegistryBody;

  constructor(
    private readonly message: IncomingMessage,
    signal: AbortSignal | undefined,
  ) {
    this.status = message.statusCode ?? 0;
    this.body = {
      [Symbol.asyncIterator]: () => chunksOf(message, signal),
      cancel: async () => void message.destroy(),
    };
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  readonly headers = {
    get: (name: string): string | null => {
      const value = this.message.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.body) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return Buffer.concat(chunks).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/** The body's chunks; when the signal aborted the transfer, its reason is the error (as with fetch), not the reset socket. */
async function* chunksOf(message: IncomingMessage, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of message) yield chunk as Buffer;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

function getOnce(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.reject(new Error(`unsupported URL scheme ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'GET', headers, ...(signal ? { signal } : {}) }, resolve);
    outgoing.on('error', (error) => reject(signal?.aborted ? signal.reason : error));
    outgoing.end();
  });
}

/** GET `url`, following redirects; rejects when no response comes (the error names its errno code). */
export async function registryGet(url: string | URL, init: RegistryRequestInit = {}): Promise<RegistryResponse> {
  let target = new URL(url);
  let headers = { ...init.headers };
  for (let redirects = 0; ; redirects++) {
    init.signal?.throwIfAborted();
    const message = await getOnce(target, headers, init.signal);
    const location = message.headers.location;
    if (!REDIRECTS.has(message.statusCode ?? 0) || location === undefined) return new IncomingResponse(message, init.signal);
    message.resume();
    if (redirects >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${String(url)}`);
    const next = new URL(location, target);
    // Credentials for the registry are not sent to wherever it redirects (object storage).
    if (next.origin !== target.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    }
    target = next;
  }
}
