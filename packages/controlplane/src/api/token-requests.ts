// `ctl create token SA`: a bearer token for a ServiceAccount that exists,
// bound to its uid (a re-created account does not inherit old tokens), for a
// bounded time, as Kubernetes' TokenRequest does.
import { InvalidError, kindInfo, toTimestamp, type ServiceAccount } from '@skiff/api';
import type { ServiceAccountTokens } from '../auth/index.js';
import type { ObjectStore } from '../objects/object-store.js';

const SERVICE_ACCOUNT = kindInfo('ServiceAccount');
export const DEFAULT_TOKEN_SECONDS = 3600;
/** Kubernetes' bounds for a TokenRequest: at least 10 minutes; Skiff caps it at two days. */
export const MIN_TOKEN_SECONDS = 600;
export const MAX_TOKEN_SECONDS = 48 * 3600;

export class TokenRequests {
  constructor(
    private readonly objects: ObjectStore,
    private readonly tokens: ServiceAccountTokens,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(namespace: string, name: string, expirationSeconds: number, audiences: readonly string[] = []): Promise<{ token: string; expirationTimestamp: string }> {
    const seconds = expirationSeconds === 0 ? DEFAULT_TOKEN_SECONDS : expirationSeconds;
    if (!Number.isInteger(seconds) || seconds < MIN_TOKEN_SECONDS || seconds > MAX_TOKEN_SECONDS) {
      throw new InvalidError(`expiration_seconds: must be from ${MIN_TOKEN_SECONDS} (10m) to ${MAX_TOKEN_SECONDS} (48h), not ${expirationSeconds}`);
    }
    const account = await this.objects.mustGet<ServiceAccount>(SERVICE_ACCOUNT, namespace, name);
    const uid = account.metadata.uid;
    if (!uid) throw new InvalidError(`serviceaccounts "${name}" has no uid; apply it again`);
    const issued = await this.tokens.issue({ namespace, name, uid }, seconds, this.clock(), audiences);
    return { token: issued.token, expirationTimestamp: toTimestamp(issued.expiresAt) };
  }
}
