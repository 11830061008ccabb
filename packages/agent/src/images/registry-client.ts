// A client for the OCI distribution API, just enough to pull: manifests
// (index → the platform's manifest), and blobs streamed to disk with their
// digest and size verified on the way. Authentication is what public and
// private registries use in practice: anonymous, bearer tokens from the realm
// a 401 challenge names (optionally with basic credentials), or plain basic.
import { ImagePullError } from './errors.js';
import { writeVerified, verifyBytes, sha256Of, isSha256Digest, type BlobExpectation } from './digest.js';
import { registryHost, type ImageReference } from './image-reference.js';
import {
  MANIFEST_ACCEPT,
  MAX_DOCUMENT_BYTES,
  hostPlatform,
  parseManifestDocument,
  selectPlatform,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './oci.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export type FetchFunction = typeof globalThis.fetch;

export interface RegistryClientOptions {
  /** Extra registries ("host" or "host:port") spoken to over plain HTTP; loopback always is. */
  readonly insecureRegistries?: readonly string[];
  /** Credentials per registry (the API host, e.g. "registry-1.docker.io"); anonymous when absent. */
  readonly credentials?: (registry: string) => RegistryCredentials | undefined;
  /** Platform to pick from an index; default: linux and this host's architecture (amd64 here). */
  readonly platform?: Platform;
  /** For tests: count or intercept requests. Default: the global fetch. */
  readonly fetch?: FetchFunction;
  /** Timeout for manifest and token requests (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** A blob download that receives nothing for this long is abandoned (default 60 s). */
  readonly blobIdleTimeoutMs?: number;
}

/** One manifest or index document as fetched, with the digest of its exact bytes. */
export interface FetchedDocument {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly parsed: ImageIndex | ImageManifest;
}

export interface ResolvedManifest {
  /** Digest of what the tag (or pinned digest) names: an index or a manifest. */
  readonly topDigest: string;
  /** Digest of the platform's image manifest. */
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  /** Every document fetched on the way, top first, so the store can keep them. */
  readonly documents: readonly FetchedDocument[];
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_BLOB_IDLE_TIMEOUT_MS = 60_000;
/** Token lifetime when the realm does not say (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew this long before expiry so a token does not lapse mid-request. */
const TOKEN_MARGIN_SECONDS = 10;
const MAX_INDEX_DEPTH = 3;

/** Loopback registries (how tests and local development run them) speak plain HTTP. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** "http://host:port" or "https://host:port" for `registry` (host[:port], IPv6 bracketed). */
export function registryBaseUrl(registry: string, insecureRegistries: readonly string[] = []): string {
  const host = registryHost(registry);
  const plain = isLoopback(host) || insecureRegistries.includes(registry) || insecureRegistries.includes(host);
  return `${plain ? 'http' : 'https'}://${registry}`;
}

/**
 * Parses a WWW-Authenticate value: `Bearer realm="…",service="…",scope="a,b"`.
 * Quoted values may contain commas, and several challenges may be joined by
 * commas (as fetch joins repeated headers), so this tokenises rather than splits.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  const token = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/y;
  let i = 0;
  while (i < header.length) {
    if (header[i] === ',' || header[i] === ' ') {
      i++;
      continue;
    }
    token.lastIndex = i;
    const name = token.exec(header);
    if (!name?.[1]) break;
    i = token.lastIndex;
    if (header[i] === '=') {
      // A parameter of the current challenge.
      i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        while (i < header.length && header[i] !== ',') value += header[i++];
        value = value.trim();
      }
      const current = challenges[challenges.length - 1];
      if (current) current.params[name[1].toLowerCase()] = value;
    } else {
      challenges.push({ scheme: name[1].toLowerCase(), params: {} });
    }
  }
  return challenges;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} ${cause.message}` : cause.message;
  }
  return error.message;
}

/** "MANIFEST_UNKNOWN: manifest unknown" from a registry error body, or a trimmed snippet. */
async function describeErrorBody(response: Response): Promise<string> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    return `HTTP ${response.status}`;
  }
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const errors = (body.errors ?? [])
      .map((entry) => [entry.code, entry.message].filter((part) => typeof part === 'string').join(': '))
      .filter((part) => part.length > 0);
    if (errors.length > 0) return `HTTP ${response.status} ${errors.join('; ')}`;
  } catch {
    // Not JSON: quote it.
  }
  const snippet = text.trim().slice(0, 200);
  return snippet.length > 0 ? `HTTP ${response.status} ${snippet}` : `HTTP ${response.status}`;
}

/** Reads a body into memory, refusing more than `limit` bytes. */
async function readLimited(response: Response, limit: number, image: string, what: string): Promise<Buffer> {
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

export class RegistryClient {
  private readonly insecure: readonly string[];
  private readonly platform: Platform;
  private readonly fetchFn: FetchFunction;
  private readonly requestTimeoutMs: number;
  private readonly blobIdleTimeoutMs: number;
  /** Bearer tokens by "registry scope": one per repository (and action) we have pulled from. */
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests in flight, so concurrent pulls of one repository ask the realm once. */
  private readonly pendingTokens = new Map<string, Promise<CachedToken>>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.insecure = options.insecureRegistries ?? [];
    this.platform = options.platform ?? hostPlatform();
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.blobIdleTimeoutMs = options.blobIdleTimeoutMs ?? DEFAULT_BLOB_IDLE_TIMEOUT_MS;
  }

  /**
   * Fetches the manifest `reference` (a tag or a digest) names and, if that is
   * an index, the manifest for the configured platform. Every document's
   * digest is computed from its bytes; documents fetched by digest must match.
   */
  async resolve(ref: ImageReference, image: string = ref.original): Promise<ResolvedManifest> {
    const documents: FetchedDocument[] = [];
    let next = ref.digest ?? ref.tag ?? 'latest';
    for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
      const document = await this.fetchManifest(ref, next, image);
      documents.push(document);
      if (document.parsed.kind === 'manifest') {
        const [top] = documents;
        return {
          topDigest: top?.digest ?? document.digest,
          manifestDigest: document.digest,
          manifest: document.parsed,
          documents,
        };
      }
      next = selectPlatform(document.parsed, this.platform, image).digest;
    }
    throw new ImagePullError('invalid-image', image, `indexes nested more than ${MAX_INDEX_DEPTH} deep`);
  }

  /** GET /v2/<name>/manifests/<reference>, verified against the digest when `reference` is one. */
  async fetchManifest(ref: ImageReference, reference: string, image: string = ref.original): Promise<FetchedDocument> {
    const what = `manifest ${ref.repository}:${reference}`;
    const url = `${registryBaseUrl(ref.registry, this.insecure)}/v2/${ref.repository}/manifests/${reference}`;
    const response = await this.request(ref, url, { accept: MANIFEST_ACCEPT }, image, AbortSignal.timeout(this.requestTimeoutMs));
    await this.assertOk(response, image, what);
    const bytes = await this.readBody(response, MAX_DOCUMENT_BYTES, image, what);
    const digest = sha256Of(bytes);
    if (isSha256Digest(reference) && digest !== reference) {
      throw new ImagePullError('digest-mismatch', image, `${what}: content has digest ${digest}`);
    }
    const announced = response.headers.get('docker-content-digest');
    if (announced && isSha256Digest(announced) && announced !== digest) {
      throw new ImagePullError('digest-mismatch', image, `${what}: registry announced ${announced}, content has ${digest}`);
    }
    const contentType = response.headers.get('content-type') ?? undefined;
    return { digest, bytes, parsed: parseManifestDocument(bytes, image, what, contentType) };
  }

  /** A small blob (an image config) into memory, verified. */
  async fetchBlobBytes(ref: ImageReference, blob: BlobExpectation, image: string = ref.original): Promise<Buffer> {
    const what = `blob ${blob.digest}`;
    if (blob.size > MAX_DOCUMENT_BYTES) {
      throw new ImagePullError('invalid-image', image, `${what} is ${blob.size} bytes, too large to read into memory`);
    }
    const response = await this.request(
      ref,
      this.blobUrl(ref, blob.digest),
      {},
      image,
      AbortSignal.timeout(this.requestTimeoutMs),
    );
    await this.assertOk(response, image, what);
    const bytes = await this.readBody(response, blob.size, image, what, 'digest-mismatch');
    verifyBytes(bytes, blob, image, what);
    return bytes;
  }

  /**
   * Streams a blob to `dest` (following redirects to storage back ends),
   * verifying size and digest as it arrives; a mismatch deletes the partial
   * file and throws 'digest-mismatch'. A stalled transfer is abandoned after
   * the idle timeout rather than after a fixed total, since layers can be large.
   */
  async downloadBlob(ref: ImageReference, blob: BlobExpectation, dest: string, image: string = ref.original): Promise<void> {
    const what = `blob ${blob.digest}`;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error(`no data for ${this.blobIdleTimeoutMs} ms`)), this.blobIdleTimeoutMs);
    };
    arm();
    try {
      const response = await this.request(ref, this.blobUrl(ref, blob.digest), {}, image, controller.signal);
      await this.assertOk(response, image, what);
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared !== blob.size) {
        await response.body?.cancel().catch(() => undefined);
        throw new ImagePullError('digest-mismatch', image, `${what}: expected ${blob.size} bytes, registry sends ${declared}`);
      }
      const body = response.body;
      if (!body) throw new ImagePullError('registry-error', image, `${what}: empty response`);
      const watched = async function* (): AsyncGenerator<Uint8Array> {
        for await (const chunk of body) {
          arm();
          yield chunk;
        }
      };
      try {
        await writeVerified(watched(), blob, dest, image, what);
      } catch (error) {
        if (error instanceof ImagePullError) throw error;
        if (controller.signal.aborted || (error instanceof Error && /terminated|socket|ECONN/i.test(error.message))) {
          throw new ImagePullError('unreachable', image, `${what}: download interrupted: ${describeCause(error)}`, { cause: error });
        }
        throw error;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private blobUrl(ref: ImageReference, digest: string): string {
    return `${registryBaseUrl(ref.registry, this.insecure)}/v2/${ref.repository}/blobs/${digest}`;
  }

  private async readBody(
    response: Response,
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

  private async assertOk(response: Response, image: string, what: string): Promise<void> {
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
   * One request with authentication: a cached token for the repository is
   * sent up front; on 401 the challenge says how to authenticate, and the
   * request is retried once with a fresh token (or basic credentials).
   */
  private async request(
    ref: ImageReference,
    url: string,
    headers: Record<string, string>,
    image: string,
    signal: AbortSignal,
  ): Promise<Response> {
    const defaultScope = `repository:${ref.repository}:pull`;
    const cached = this.cachedToken(ref.registry, defaultScope);
    const first = await this.send(url, headers, cached ? `Bearer ${cached.token}` : undefined, image, signal);
    if (first.status !== 401) return first;

    const challengeHeader = first.headers.get('www-authenticate') ?? '';
    await first.body?.cancel().catch(() => undefined);
    const challenges = parseWwwAuthenticate(challengeHeader);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    const credentials = this.options.credentials?.(ref.registry);
    let authorization: string;
    if (bearer) {
      const realm = bearer.params['realm'];
      if (!realm) throw new ImagePullError('unauthorized', image, `${url}: bearer challenge without a realm`);
      const scope = bearer.params['scope'] ?? defaultScope;
      const token = await this.fetchToken(ref.registry, realm, bearer.params['service'], scope, credentials, image, cached);
      // Remember it under the scope we look up before sending, too, so the
      // next request for this repository does not start with a 401.
      if (scope !== defaultScope) this.tokens.set(this.tokenKey(ref.registry, defaultScope), token);
      authorization = `Bearer ${token.token}`;
    } else if (challenges.some((challenge) => challenge.scheme === 'basic') && credentials) {
      authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    } else {
      throw new ImagePullError(
        'unauthorized',
        image,
        `${url}: the registry requires authentication${challengeHeader ? ` (${challengeHeader})` : ''}${
          credentials ? '' : ' and no credentials are configured'
        }`,
      );
    }
    return this.send(url, headers, authorization, image, signal);
  }

  private async send(
    url: string,
    headers: Record<string, string>,
    authorization: string | undefined,
    image: string,
    signal: AbortSignal,
  ): Promise<Response> {
    try {
      return await this.fetchFn(url, {
        headers: authorization ? { ...headers, authorization } : headers,
        // Blob GETs are commonly redirected to object storage; fetch drops the
        // Authorization header when that leaves the registry's origin.
        redirect: 'follow',
        signal,
      });
    } catch (error) {
      throw new ImagePullError('unreachable', image, `${url}: ${describeCause(error)}`, { cause: error });
    }
  }

  private tokenKey(registry: string, scope: string): string {
    return `${registry} ${scope}`;
  }

  private cachedToken(registry: string, scope: string): CachedToken | undefined {
    const key = this.tokenKey(registry, scope);
    const token = this.tokens.get(key);
    if (token && token.expiresAt > Date.now()) return token;
    this.tokens.delete(key);
    return undefined;
  }

  /**
   * A token for `scope` from `realm`. A cached one is reused unless it is the
   * one the registry just refused (`refused`).
   */
  private fetchToken(
    registry: string,
    realm: string,
    service: string | undefined,
    scope: string,
    credentials: RegistryCredentials | undefined,
    image: string,
    refused: CachedToken | undefined,
  ): Promise<CachedToken> {
    const cached = this.cachedToken(registry, scope);
    if (cached && cached.token !== refused?.token) return Promise.resolve(cached);
    const key = this.tokenKey(registry, scope);
    const pending = this.pendingTokens.get(key);
    if (pending) return pending;
    const request = this.requestToken(realm, service, scope, credentials, image)
      .then((token) => {
        this.tokens.set(key, token);
        return token;
      })
      .finally(() => this.pendingTokens.delete(key));
    this.pendingTokens.set(key, request);
    return request;
  }

  private async requestToken(
    realm: string,
    service: string | undefined,
    scope: string,
    credentials: RegistryCredentials | undefined,
    image: string,
  ): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ImagePullError('unauthorized', image, `the registry named an invalid token realm ${JSON.stringify(realm)}`);
    }
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials) {
      headers['authorization'] = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await this.fetchFn(url, { headers, signal: AbortSignal.timeout(this.requestTimeoutMs) });
    } catch (error) {
      throw new ImagePullError('unreachable', image, `token realm ${url.origin}${url.pathname}: ${describeCause(error)}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      const detail = await describeErrorBody(response);
      const reason = response.status === 401 || response.status === 403 ? 'unauthorized' : 'registry-error';
      throw new ImagePullError(reason, image, `token realm ${url.origin}${url.pathname} refused scope ${scope}: ${detail}`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new ImagePullError('registry-error', image, `token realm ${url.origin}${url.pathname} sent no JSON`, { cause: error });
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (token.length === 0) throw new ImagePullError('registry-error', image, `token realm ${url.origin}${url.pathname} sent no token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: Date.now() + Math.max(seconds - TOKEN_MARGIN_SECONDS, 1) * 1000 };
  }
}
