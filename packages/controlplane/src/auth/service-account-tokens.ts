// ServiceAccount tokens: ES256 JWTs signed with the control plane's
// service-account key, in Kubernetes' bound-token shape (iss, aud, sub
// `system:serviceaccount:<ns>:<name>`, exp, and the account's uid under
// "kubernetes.io"). A refusal never repeats the token.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { InvalidError, UnauthenticatedError, isRecord, messageOf } from '@skiff/api';
import { errors, jwtVerify, SignJWT } from 'jose';
import { parseServiceAccountUserName, serviceAccountUserName } from './identity.js';

export const TOKEN_ISSUER = 'skiff';
export const TOKEN_AUDIENCE = 'skiff';
const ALGORITHM = 'ES256';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

const HOW_TO_FIX = 'create a new one with `ctl create token <serviceaccount> -n <namespace>`';

export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** Kubernetes' key id: the SHA-256 of the public key's DER, so a verifier can tell keys apart. */
  private readonly keyId: string;

  /** `privateKeyPem`: an ECDSA P-256 private key, PKCS#8 PEM (pki/service-account.key). */
  constructor(privateKeyPem: string) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
    } catch (error) {
      throw new InvalidError(`the service-account signing key is not a PEM private key (${messageOf(error)})`);
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new InvalidError(`the service-account signing key must be an ECDSA P-256 key for ES256, not ${describeKey(key)}`);
    }
    this.privateKey = key;
    this.publicKey = createPublicKey(key);
    this.keyId = createHash('sha256').update(this.publicKey.export({ format: 'der', type: 'spki' })).digest('base64url');
  }

  /** `audiences`: the token's "aud" (empty: this cluster's API, the only audience `verify` accepts). */
  async issue(account: ServiceAccountRef, ttlSeconds: number, now: Date = new Date(), audiences: readonly string[] = []): Promise<IssuedToken> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new InvalidError(`a token lifetime must be a whole number of seconds above 0, not ${ttlSeconds}`);
    }
    const bad = audiences.findIndex((audience) => audience.trim() === '' || audience.length > 256);
    if (bad >= 0) throw new InvalidError(`audiences[${bad}]: an audience must be a non-empty string of at most 256 characters`);
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const token = await new SignJWT({ 'kubernetes.io': { namespace: account.namespace, serviceaccount: { name: account.name, uid: account.uid } } })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.keyId, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(audiences.length > 0 ? [...new Set(audiences)] : TOKEN_AUDIENCE)
      .setSubject(serviceAccountUserName(account.namespace, account.name))
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.privateKey);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The account a token names; UnauthenticatedError when it is expired, forged, or not a ServiceAccount token. */
  async verify(token: string, now: Date = new Date()): Promise<ServiceAccountRef> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
        currentDate: now,
      }));
    } catch (error) {
      throw refusal(error);
    }
    const claims = payload['kubernetes.io'];
    const namespace = isRecord(claims) ? claims['namespace'] : undefined;
    const account = isRecord(claims) ? claims['serviceaccount'] : undefined;
    const name = isRecord(account) ? account['name'] : undefined;
    const uid = isRecord(account) ? account['uid'] : undefined;
    const subject = parseServiceAccountUserName(String(payload['sub']));
    if (typeof namespace !== 'string' || typeof name !== 'string' || typeof uid !== 'string' || subject?.namespace !== namespace || subject.name !== name) {
      throw new UnauthenticatedError(`the bearer token is not a ServiceAccount token of this cluster; ${HOW_TO_FIX}`);
    }
    return { namespace, name, uid };
  }
}

function refusal(error: unknown): UnauthenticatedError {
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload['exp'];
    const when = typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : '';
    return new UnauthenticatedError(`the ServiceAccount token expired${when}; ${HOW_TO_FIX}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new UnauthenticatedError(`the bearer token was not signed by this cluster's service-account key; ${HOW_TO_FIX}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const problem =
      error.reason === 'missing'
        ? `has no "${error.claim}" claim`
        : error.claim === 'nbf' || error.claim === 'iat'
          ? 'is not valid yet (is the clock of its issuer ahead?)'
          : `has an "${error.claim}" claim that is not this cluster's`;
    return new UnauthenticatedError(`the bearer token ${problem}; ${HOW_TO_FIX}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new UnauthenticatedError(`the bearer token is not signed with ${ALGORITHM}; ${HOW_TO_FIX}`);
  }
  if (error instanceof errors.JOSEError) {
    return new UnauthenticatedError(`the bearer token is not a well-formed ServiceAccount token (a JWT); ${HOW_TO_FIX}`);
  }
  return new UnauthenticatedError(`the bearer token could not be verified; ${HOW_TO_FIX}`);
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `a ${key.asymmetricKeyType ?? 'symmetric'}${curve ? ` (${curve})` : ''} key`;
}
