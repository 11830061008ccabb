// Tokens for projected serviceAccountToken volumes: requested from the
// control plane's TokenRequest (CreateToken) as this node — the node
// authorizer allows it only for the ServiceAccount of a pod bound to the
// node — and requested again once 80 % of a token's lifetime has passed, as
// kubelet's token manager does, so the file in the volume never holds an
// expired token. The token's audience is the projection's `audience` (the
// cluster's own API when unset); tokens are never logged.
import type { ApiClient, Pod } from '@skiff/api/core';
import { unary } from '../grpc-call.js';

interface Cached {
  readonly token: string;
  readonly refreshAt: number;
}

export class ServiceAccountTokens {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly client: () => ApiClient,
    private readonly now: () => number = Date.now,
  ) {}

  async token(pod: Pod, expirationSeconds: number, audience?: string): Promise<string> {
    const namespace = pod.metadata.namespace ?? 'default';
    const account = pod.spec.serviceAccountName || 'default';
    // Per pod, as kubelet's token manager keys them: a new pod gets its own token.
    const key = `${pod.metadata.uid ?? ''}/${namespace}/${account}/${expirationSeconds}/${audience ?? ''}`;
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    // Tokens past their refresh time are due anyway: dropping them keeps gone pods' tokens from piling up.
    for (const [other, entry] of this.cache) if (this.now() >= entry.refreshAt) this.cache.delete(other);
    const client = this.client();
    const response = await unary<{ token: string; expiration_timestamp: string }>((cb, options) =>
      client.CreateToken({ namespace, service_account: account, expiration_seconds: expirationSeconds, audiences: audience ? [audience] : [] }, options, cb),
    );
    const issuedAt = this.now();
    const expiresAt = Date.parse(response.expiration_timestamp);
    const lifetime = Number.isFinite(expiresAt) ? expiresAt - issuedAt : expirationSeconds * 1000;
    this.cache.set(key, { token: response.token, refreshAt: issuedAt + lifetime * 0.8 });
    return response.token;
  }

  /** Forgets the tokens of a pod that is gone. */
  forget(uid: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${uid}/`)) this.cache.delete(key);
  }
}
