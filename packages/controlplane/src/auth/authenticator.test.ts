import { generateKeyPairSync } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { UnauthenticatedError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { Authenticator, bearerTokenOf, normalizeSerialHex } from './authenticator.js';
import { ServiceAccountTokens } from './service-account-tokens.js';

const KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const tokens = new ServiceAccountTokens(KEY);
const NOW = new Date('2026-01-01T12:00:00.000Z');
const CI = { namespace: 'tools', name: 'ci', uid: 'uid-1' };

/** The fields grpc-js's sslPeerCertificate carries that the authenticator reads. */
const certificate = (subject: { CN?: string | string[]; O?: string | string[] }, serialNumber = '0A1B2C'): PeerCertificate =>
  ({ subject, issuer: { CN: 'skiff-ca' }, serialNumber }) as unknown as PeerCertificate;

function setup(options: { revoked?: ReadonlySet<string>; accounts?: readonly string[] } = {}) {
  const checked: [string, string][] = [];
  const authenticator = new Authenticator({
    checkNodeCertificate: (node, serial) => {
      checked.push([node, serial]);
      if (options.revoked?.has(node)) throw new UnauthenticatedError(`the certificate of node "${node}" was revoked; join the node again`);
    },
    serviceAccounts: tokens,
    serviceAccountExists: (namespace, name, uid) => (options.accounts ?? ['tools/ci/uid-1']).includes(`${namespace}/${name}/${uid}`),
    now: () => NOW,
  });
  return { authenticator, checked };
}

async function refused(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return (error as Error).message;
}

const HOW =
  'use the admin kubeconfig the control plane wrote (ctl --kubeconfig <data-dir>/admin.kubeconfig, or set SKIFF_CONFIG or KUBECONFIG), ' +
  'another client certificate signed by the cluster CA, or a ServiceAccount token';

describe('Authenticator', () => {
  it('names a certificate user by CN and groups by O, adding system:authenticated', async () => {
    const { authenticator, checked } = setup();
    await expect(authenticator.authenticate({ certificate: certificate({ CN: 'admin', O: 'system:masters' }) })).resolves.toEqual({
      name: 'admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    await expect(authenticator.authenticate({ certificate: certificate({ CN: 'jane', O: ['devs', 'ops', 'devs'] }) })).resolves.toEqual({
      name: 'jane',
      groups: ['devs', 'ops', 'system:authenticated'],
    });
    await expect(authenticator.authenticate({ certificate: certificate({ CN: 'solo' }) })).resolves.toEqual({ name: 'solo', groups: ['system:authenticated'] });
    expect(checked).toEqual([]);
  });

  it('checks a node certificate against revocation, by normalised serial', async () => {
    const { authenticator, checked } = setup({ revoked: new Set(['node-b']) });
    await expect(authenticator.authenticate({ certificate: certificate({ CN: 'system:node:node-a', O: 'system:nodes' }, '00AB12') })).resolves.toEqual({
      name: 'system:node:node-a',
      groups: ['system:nodes', 'system:authenticated'],
    });
    expect(await refused(authenticator.authenticate({ certificate: certificate({ CN: 'system:node:node-b', O: 'system:nodes' }) }))).toBe(
      'the certificate of node "node-b" was revoked; join the node again',
    );
    expect(checked).toEqual([
      ['node-a', 'ab12'],
      ['node-b', 'a1b2c'],
    ]);
  });

  it('remembers a certificate by fingerprint, yet checks revocation and expiry on every call', async () => {
    const revoked = new Set<string>();
    const checked: string[] = [];
    let now = NOW;
    const authenticator = new Authenticator({
      checkNodeCertificate: (node) => {
        checked.push(node);
        if (revoked.has(node)) throw new UnauthenticatedError(`the certificate of node "${node}" was revoked; join the node again`);
      },
      serviceAccounts: tokens,
      serviceAccountExists: () => false,
      now: () => now,
    });
    const node = {
      ...certificate({ CN: 'system:node:node-a', O: 'system:nodes' }),
      fingerprint256: 'AA:BB',
      valid_to: 'Jan  1 13:00:00 2026 GMT',
    } as PeerCertificate;
    const expected = { name: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] };
    await expect(authenticator.authenticate({ certificate: node })).resolves.toEqual(expected);
    // The same fingerprint with another subject is the same certificate: what was parsed first stands.
    await expect(authenticator.authenticate({ certificate: { ...node, subject: { CN: 'admin', O: 'system:masters' } } as PeerCertificate })).resolves.toEqual(expected);
    revoked.add('node-a');
    expect(await refused(authenticator.authenticate({ certificate: node }))).toBe('the certificate of node "node-a" was revoked; join the node again');
    expect(checked).toEqual(['node-a', 'node-a', 'node-a']);
    revoked.clear();
    now = new Date('2026-01-01T13:00:01.000Z');
    expect(await refused(authenticator.authenticate({ certificate: node }))).toBe(
      'the client certificate of "system:node:node-a" expired at 2026-01-01T13:00:00.000Z; the agent renews it before then: restart it, or join the node again',
    );
    const user = { ...certificate({ CN: 'jane' }), fingerprint256: 'CC:DD', valid_to: 'Jan  1 12:00:00 2026 GMT' } as PeerCertificate;
    expect(await refused(authenticator.authenticate({ certificate: user }))).toBe(`the client certificate of "jane" expired at 2026-01-01T12:00:00.000Z; ${HOW}`);
  });

  it('refuses half a node identity', async () => {
    const { authenticator, checked } = setup();
    const hint = 'is not a node certificate (CN system:node:<node> with O system:nodes); a node gets one by joining (skiff-agent --token)';
    expect(await refused(authenticator.authenticate({ certificate: certificate({ CN: 'system:node:node-a' }) }))).toBe(
      `the client certificate of "system:node:node-a" ${hint}`,
    );
    expect(await refused(authenticator.authenticate({ certificate: certificate({ CN: 'jane', O: 'system:nodes' }) }))).toBe(`the client certificate of "jane" ${hint}`);
    expect(await refused(authenticator.authenticate({ certificate: certificate({ CN: 'system:node:', O: 'system:nodes' }) }))).toBe(
      `the client certificate of "system:node:" ${hint}`,
    );
    expect(checked).toEqual([]);
  });

  it('refuses a certificate that names no single user', async () => {
    const { authenticator } = setup();
    expect(await refused(authenticator.authenticate({ certificate: certificate({ O: 'system:masters' }) }))).toBe(
      `the client certificate has no common name (CN), so it names no user; ${HOW}`,
    );
    expect(await refused(authenticator.authenticate({ certificate: certificate({ CN: ['a', 'b'] }) }))).toBe(
      `the client certificate has several common names, so it names no user; ${HOW}`,
    );
  });

  it('refuses a call without credentials, saying how to get some', async () => {
    const { authenticator } = setup();
    const message = `no credentials: this call needs a client certificate signed by the cluster CA and still valid (an expired one, or one from another CA, does not count) or a bearer token; ${HOW}`;
    expect(await refused(authenticator.authenticate({}))).toBe(message);
    expect(await refused(authenticator.authenticate({ certificate: {} as PeerCertificate, bearerToken: '  ' }))).toBe(message);
  });

  it('authenticates a ServiceAccount token when there is no client certificate', async () => {
    const { authenticator } = setup();
    const { token } = await tokens.issue(CI, 600, NOW);
    const expected = { name: 'system:serviceaccount:tools:ci', groups: ['system:serviceaccounts', 'system:serviceaccounts:tools', 'system:authenticated'] };
    await expect(authenticator.authenticate({ bearerToken: token })).resolves.toEqual(expected);
    await expect(authenticator.authenticate({ certificate: {} as PeerCertificate, bearerToken: token })).resolves.toEqual(expected);
    // A client certificate is tried first, as Kubernetes' x509 authenticator is.
    await expect(authenticator.authenticate({ certificate: certificate({ CN: 'jane' }), bearerToken: token })).resolves.toEqual({
      name: 'jane',
      groups: ['system:authenticated'],
    });
  });

  it("refuses a token whose ServiceAccount is gone or was re-created", async () => {
    const { authenticator } = setup({ accounts: ['tools/ci/uid-2'] });
    const { token } = await tokens.issue(CI, 600, NOW);
    expect(await refused(authenticator.authenticate({ bearerToken: token }))).toBe(
      'the ServiceAccount "tools/ci" this token was issued for no longer exists (deleted, or re-created since); create it and a new token',
    );
  });

  it('refuses an expired token by the injected clock', async () => {
    const { authenticator } = setup();
    const { token } = await tokens.issue(CI, 600, new Date(NOW.getTime() - 601_000));
    expect(await refused(authenticator.authenticate({ bearerToken: token }))).toMatch(/^the ServiceAccount token expired at 2026-01-01T11:59:59\.000Z;/);
  });

  it.each(['abcdef.0123456789abcdef', `SKF10${'a'.repeat(64)}::abcdef.0123456789abcdef`])('leaves the join token %s to Join', async (token) => {
    const { authenticator } = setup();
    const message = await refused(authenticator.authenticate({ bearerToken: token }));
    expect(message).toBe(`a join token only lets an agent join the cluster (skiff-agent --token); for anything else ${HOW}`);
    expect(message).not.toContain('0123456789abcdef');
  });
});

describe('bearerTokenOf', () => {
  it.each<[string | undefined, string | undefined]>([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer  abc ', 'abc'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerTokenOf(header)).toBe(token);
  });
});

describe('normalizeSerialHex', () => {
  it.each([
    ['0A1B', 'a1b'],
    ['00:ab:CD', 'abcd'],
    ['0000', '0'],
    ['7f', '7f'],
  ])('%s → %s', (serial, normal) => {
    expect(normalizeSerialHex(serial)).toBe(normal);
  });
});
