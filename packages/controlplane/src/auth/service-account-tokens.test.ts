import { generateKeyPairSync } from 'node:crypto';
import { InvalidError, UnauthenticatedError } from '@skiff/api';
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ServiceAccountTokens } from './service-account-tokens.js';

const ecKey = (): string => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY = ecKey();
const tokens = new ServiceAccountTokens(KEY);
const CI = { namespace: 'tools', name: 'ci', uid: '6f1c4b52-0000-4000-8000-000000000001' };
const NOW = new Date('2026-01-01T12:00:00.000Z');
const later = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

async function refusal(token: string, now = NOW): Promise<UnauthenticatedError> {
  const error: unknown = await tokens.verify(token, now).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  const refused = error as UnauthenticatedError;
  if (token !== '') expect(refused.message).not.toContain(token);
  expect(refused.message).toContain('ctl create token');
  return refused;
}

/** A token signed with KEY but with claims of our choosing. */
async function forge(claims: Record<string, unknown>, options: { iss?: string; aud?: string; sub?: string; exp?: number } = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(options.iss ?? 'skiff')
    .setAudience(options.aud ?? 'skiff')
    .setSubject(options.sub ?? 'system:serviceaccount:tools:ci')
    .setExpirationTime(options.exp ?? Math.floor(NOW.getTime() / 1000) + 600);
  return jwt.sign(await importPKCS8(KEY, 'ES256'));
}

describe('ServiceAccountTokens', () => {
  it('issues an ES256 JWT in Kubernetes shape and verifies it back', async () => {
    const { token, expiresAt } = await tokens.issue(CI, 3600, NOW);
    expect(expiresAt).toEqual(later(3600));
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      iss: 'skiff',
      aud: 'skiff',
      sub: 'system:serviceaccount:tools:ci',
      iat: NOW.getTime() / 1000,
      nbf: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 3600,
      'kubernetes.io': { namespace: 'tools', serviceaccount: { name: 'ci', uid: CI.uid } },
    });
    await expect(tokens.verify(token, later(3599))).resolves.toEqual(CI);
  });

  it('issues a token for other audiences, which the cluster API refuses (as Kubernetes refuses a token meant for, say, Vault)', async () => {
    const { token } = await tokens.issue(CI, 600, NOW, ['vault', 'vault']);
    expect(decodeJwt(token).aud).toEqual(['vault']);
    expect((await refusal(token)).message).toBe('the bearer token has an "aud" claim that is not this cluster\'s; create a new one with `ctl create token <serviceaccount> -n <namespace>`');
    const both = await tokens.issue(CI, 600, NOW, ['vault', 'skiff']);
    await expect(tokens.verify(both.token, NOW)).resolves.toEqual(CI);
    await expect(tokens.issue(CI, 600, NOW, [''])).rejects.toThrow(new InvalidError('audiences[0]: an audience must be a non-empty string of at most 256 characters'));
  });

  it('is verified by another instance over the same key (a restarted control plane)', async () => {
    const { token } = await tokens.issue(CI, 60, NOW);
    await expect(new ServiceAccountTokens(KEY).verify(token, NOW)).resolves.toEqual(CI);
  });

  it('refuses an expired token, saying when it expired', async () => {
    const { token } = await tokens.issue(CI, 60, NOW);
    expect((await refusal(token, later(61))).message).toBe(
      'the ServiceAccount token expired at 2026-01-01T12:01:00.000Z; create a new one with `ctl create token <serviceaccount> -n <namespace>`',
    );
  });

  it('refuses a token not valid yet', async () => {
    const { token } = await tokens.issue(CI, 60, NOW);
    expect((await refusal(token, later(-120))).message).toMatch(/^the bearer token is not valid yet/);
  });

  it("refuses a token of another cluster's key", async () => {
    const { token } = await new ServiceAccountTokens(ecKey()).issue(CI, 60, NOW);
    expect((await refusal(token)).message).toMatch(/^the bearer token was not signed by this cluster's service-account key;/);
  });

  it('refuses a token whose payload was edited', async () => {
    const { token } = await tokens.issue(CI, 60, NOW);
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
    expect((await refusal(`${header}.${payload}.${signature}`)).message).toMatch(/^the bearer token was not signed by this cluster's service-account key;/);
  });

  it.each(['not-a-jwt', 'a.b.c', '', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'])('refuses the malformed token %j', async (token) => {
    expect((await refusal(token)).message).toMatch(/^the bearer token (is not a well-formed ServiceAccount token \(a JWT\)|is not signed with ES256);/);
  });

  it('refuses tokens for another issuer or audience, or without the claims it names', async () => {
    expect((await refusal(await forge({}, { iss: 'kubernetes' }))).message).toMatch(/^the bearer token has an "iss" claim that is not this cluster's;/);
    expect((await refusal(await forge({}, { aud: 'vault' }))).message).toMatch(/^the bearer token has an "aud" claim that is not this cluster's;/);
    expect((await refusal(await forge({}))).message).toMatch(/^the bearer token is not a ServiceAccount token of this cluster;/);
    const mismatched = { 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'ci', uid: 'u' } } };
    expect((await refusal(await forge(mismatched))).message).toMatch(/^the bearer token is not a ServiceAccount token of this cluster;/);
  });

  it('refuses a lifetime that is not a positive whole number of seconds', async () => {
    for (const ttl of [0, -1, 1.5, Number.NaN]) await expect(tokens.issue(CI, ttl, NOW)).rejects.toBeInstanceOf(InvalidError);
  });

  it('refuses a key that cannot sign ES256, without printing it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => new ServiceAccountTokens(rsa)).toThrow(new InvalidError('the service-account signing key must be an ECDSA P-256 key for ES256, not a rsa key'));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => new ServiceAccountTokens(p384)).toThrow(/not a ec \(secp384r1\) key/);
    expect(() => new ServiceAccountTokens('garbage')).toThrow(InvalidError);
    expect(() => new ServiceAccountTokens('garbage')).not.toThrow(/garbage/);
  });
});
