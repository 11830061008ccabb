// Authenticated requests to a registry, the way public and private
// registries use it in practice: anonymous, bearer tokens from the realm a 401
// challenge names (optionally with basic credentials), or plain basic.
// Tokens are cached per registry and scope until shortly before they expire,
// and concurrent pulls of one repository ask the realm once.
import { isRecord } from '@skiff/api/core';
import { ImagePullError } from './errors.js';
import type { ImageReference } from './image-reference.js';
import type { RegistryResponse } from './registry-http.js';
import { describeErrorBody, type RegistryTransport } from './registry-transport.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Credentials per registry (the API host, e.g. "registry-1.docker.io"); anonymous when absent. */
export type CredentialsLookup = (registry: string) => RegistryCredentials | undefined;

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Token lifetime when the realm does not say (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew this long before expiry so a token does not lapse mid-request. */
const TOKEN_MARGIN_SECONDS = 10;

function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export class RegistryAuth {
  /** Bearer tokens by "registry scope": one per repository (and action) we have pulled from. */
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests in flight, so concurrent pulls of one repository ask the realm once. */
  private readonly pendingTokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: RegistryTransport,
    private readonly credentials: CredentialsLookup | undefined,
  ) {}

  /**
   * One request with authentication: a cached token for the repository is
   * sent up front; on 401 the challenge says how to authenticate, and the
   * request is retried once with a fresh token (or basic credentials).
   */
  async request(
    ref: ImageReference,
    url: string,
    headers: Record<string, string>,
    image: string,
    signal: AbortSignal,
  ): Promise<RegistryResponse> {
    const defaultScope = `repository:${ref.repository}:pull`;
    const cached = this.cachedToken(ref.registry, defaultScope);
    const first = await this.send(url, headers, cached ? `Bearer ${cached.token}` : undefined, image, signal);
    if (first.status !== 401) return first;

    const challengeHeader = first.headers.get('www-authenticate') ?? '';
    await first.body?.cancel().catch(() => undefined);
    const challenges = parseWwwAuthenticate(challengeHeader);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    const credentials = this.credentials?.(ref.registry);
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
      authorization = basicAuthorization(credentials);
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

  private send(
    url: string,
    headers: Record<string, string>,
    authorization: string | undefined,
    image: string,
    signal: AbortSignal,
  ): Promise<RegistryResponse> {
    return this.transport.fetch(url, { headers: authorization ? { ...headers, authorization } : headers, signal }, image);
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
    if (credentials) headers['authorization'] = basicAuthorization(credentials);
    const realmName = `token realm ${url.origin}${url.pathname}`;
    const response = await this.transport.fetch(url, { headers, signal: this.transport.requestSignal() }, image, realmName);
    if (!response.ok) {
      const detail = await describeErrorBody(response);
      const reason = response.status === 401 || response.status === 403 ? 'unauthorized' : 'registry-error';
      throw new ImagePullError(reason, image, `${realmName} refused scope ${scope}: ${detail}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new ImagePullError('registry-error', image, `${realmName} sent no JSON`, { cause: error });
    }
    const fields = isRecord(body) ? body : {};
    const { token: bearer, access_token: accessToken, expires_in: expiresIn } = fields;
    const token = typeof bearer === 'string' ? bearer : typeof accessToken === 'string' ? accessToken : '';
    if (token.length === 0) throw new ImagePullError('registry-error', image, `${realmName} sent no token`);
    const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: Date.now() + Math.max(seconds - TOKEN_MARGIN_SECONDS, 1) * 1000 };
  }
}
