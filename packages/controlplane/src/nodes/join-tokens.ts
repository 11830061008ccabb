// Join tokens (kubeadm's bootstrap tokens): a public id and a secret that a new
// agent presents once to receive its node certificate. Stored as Secrets in
// skiff-system, like Kubernetes' bootstrap-token Secrets, except that the
// secret half is kept only as its SHA-256: reading etcd (or a backup of it)
// never yields a usable token.
import {
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  bootstrapTokenSecretName,
  generateTokenId,
  generateTokenSecret,
  InvalidError,
  kindInfo,
  NotFoundError,
  hashTokenSecret,
  tokenSecretMatches,
  UnauthenticatedError,
  toTimestamp,
  type Secret,
} from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';

const SECRET = kindInfo('Secret');
export const TOKEN_NAMESPACE = 'skiff-system';

export interface JoinTokenInfo {
  readonly id: string;
  readonly description: string;
  /** Undefined: the token never expires. */
  readonly expiresAt: Date | undefined;
}

export interface CreatedJoinToken extends JoinTokenInfo {
  /** Shown once, to whoever created it; only its hash is stored. */
  readonly secret: string;
}

export const tokenSecretName = bootstrapTokenSecretName;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string | undefined => (text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8'));

/** The token a Secret stores, or undefined when it is not a join-token Secret. */
export function joinTokenOf(secret: { readonly type?: string; readonly data?: Readonly<Record<string, string>> }): (JoinTokenInfo & { readonly secretSha256: string }) | undefined {
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return undefined;
  const id = unb64(secret.data?.['token-id']);
  const secretSha256 = unb64(secret.data?.['token-secret-sha256']);
  if (!id || !secretSha256) return undefined;
  const expiration = unb64(secret.data?.expiration);
  return { id, secretSha256, description: unb64(secret.data?.description) ?? '', expiresAt: expiration ? new Date(expiration) : undefined };
}

export class JoinTokens {
  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(options: { ttlMs?: number; description?: string } = {}): Promise<CreatedJoinToken> {
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) throw new InvalidError('--ttl: must be a positive duration such as 24h, or 0 for a token that never expires');
    const id = generateTokenId();
    const secret = generateTokenSecret();
    const now = this.clock();
    const expiresAt = options.ttlMs ? new Date(now.getTime() + options.ttlMs) : undefined;
    const description = options.description ?? '';
    const data: Record<string, string> = {
      'token-id': b64(id),
      'token-secret-sha256': b64(hashTokenSecret(secret)),
      'usage-bootstrap-authentication': b64('true'),
    };
    if (expiresAt) data.expiration = b64(toTimestamp(expiresAt));
    if (description) data.description = b64(description);
    const record: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: tokenSecretName(id),
        namespace: TOKEN_NAMESPACE,
        uid: crypto.randomUUID(),
        creationTimestamp: toTimestamp(now),
        generation: 1,
      },
      type: BOOTSTRAP_TOKEN_SECRET_TYPE,
      data,
    };
    await this.objects.create(SECRET, record);
    return { id, secret, description, expiresAt };
  }

  async list(): Promise<JoinTokenInfo[]> {
    const { items } = await this.objects.list<Secret>(SECRET, TOKEN_NAMESPACE);
    return items.flatMap((item) => {
      const token = joinTokenOf(item);
      return token ? [{ id: token.id, description: token.description, expiresAt: token.expiresAt }] : [];
    });
  }

  async delete(id: string): Promise<void> {
    const existing = await this.objects.get<Secret>(SECRET, TOKEN_NAMESPACE, tokenSecretName(id));
    if (!existing || !joinTokenOf(existing)) throw new NotFoundError(`join token "${id}" not found; skiff-controlplane token list shows the tokens`);
    await this.objects.delete(SECRET, TOKEN_NAMESPACE, existing.metadata.name, Number(existing.metadata.resourceVersion));
  }

  /**
   * Checks a presented `<id>.<secret>`; the error says what was wrong without
   * revealing whether a secret was close (the comparison is constant-time).
   */
  async verify(presented: string): Promise<JoinTokenInfo> {
    const match = /^([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(presented);
    if (!match) throw new UnauthenticatedError('join token: expected <6 characters>.<16 characters> after "Bearer "; pass the whole token printed by skiff-controlplane token create to skiff-agent --token');
    const [, id = '', secret = ''] = match;
    const stored = await this.objects.get<Secret>(SECRET, TOKEN_NAMESPACE, tokenSecretName(id));
    const token = stored ? joinTokenOf(stored) : undefined;
    const unknown = new UnauthenticatedError(`join token "${id}" is not known to this control plane (deleted, or from another cluster); create one with skiff-controlplane token create`);
    if (!token) throw unknown;
    if (!tokenSecretMatches(secret, token.secretSha256)) throw unknown;
    if (token.expiresAt && token.expiresAt.getTime() <= this.clock().getTime()) {
      throw new UnauthenticatedError(`join token "${id}" expired at ${toTimestamp(token.expiresAt)}; create a new one with skiff-controlplane token create --ttl 24h`);
    }
    return { id: token.id, description: token.description, expiresAt: token.expiresAt };
  }
}
