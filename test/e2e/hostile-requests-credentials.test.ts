// Hostile requests, part 1: who is calling. Calls without credentials, with
// certificates the TLS layer must not accept, with malformed or foreign bearer
// tokens, and with ServiceAccount tokens that are forged, expired or orphaned.
// Every refusal is checked word for word, and every attempted write is read
// back as the admin: nothing was written.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair as generateJoseKeyPair, SignJWT } from 'jose';
import { createApiClient, type ApiClient, type ServiceAccount } from '@skiff/api';
import { runCtl, waitFor } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { authorization, bearer, refusal, refusedSoon, unary } from '../harness/grpc-calls.js';
import { startHeaderInjectingProxy } from '../harness/header-injecting-proxy.js';
import { foreignCa, issueIdentity, useHostileCluster } from '../harness/hostile-cluster.js';
import { configMap, deployment, namespace, roleBinding, serviceAccount } from '../harness/hostile-objects.js';
import { applyWith, deleteWith, getWith, listWith, watchWith } from '../harness/skiff-calls.js';

const fixture = useHostileCluster();

const NO_CREDENTIALS =
  'no credentials: this call needs a client certificate signed by the cluster CA and still valid (an expired one, or one from another CA, does not count) or a bearer token; use the admin kubeconfig the control plane wrote ' +
  '(ctl --kubeconfig <data-dir>/admin.kubeconfig, or set SKIFF_CONFIG or KUBECONFIG), another client certificate signed by the cluster CA, or a ServiceAccount token';
const NEW_TOKEN = 'create a new one with `ctl create token <serviceaccount> -n <namespace>`';
const SA_USER = 'system:serviceaccount:team-a:deployer';

beforeAll(async () => {
  await fixture().apply(
    namespace('shop'),
    namespace('team-a'),
    namespace('team-b'),
    deployment('shop', 'web'),
    serviceAccount('team-a', 'deployer'),
    roleBinding('team-a', 'deployer-edits', 'edit', [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'team-a' }]),
  );
  await fixture().allowedSoon(SA_USER, 'create', 'configmaps', 'team-a');
});

/** The deployment every delete attempt aims at, as the admin reads it. */
const web = async () => (await fixture().read('Deployment', 'shop', 'web'))?.metadata.resourceVersion;

describe('hostile requests: client certificates', () => {
  test.each([
    ['Get', (api: ApiClient) => getWith(api, 'Deployment', 'shop', 'web')],
    ['List', (api: ApiClient) => listWith(api, 'Secret', 'shop')],
    ['Watch', (api: ApiClient) => watchWith(api, 'Deployment', 'shop')],
    ['Apply', (api: ApiClient) => applyWith(api, configMap('shop', 'from-nobody'))],
  ])('TLS without a client certificate: %s is UNAUTHENTICATED', async (_method, call) => {
    const { api, read } = fixture();
    expect(await refusal(call(api()))).toEqual({ code: 'UNAUTHENTICATED', details: NO_CREDENTIALS });
    expect(await read('ConfigMap', 'shop', 'from-nobody')).toBeUndefined();
  });

  test('a certificate from another CA, even one claiming admin in system:masters, is verified away', async () => {
    const { api, read } = fixture();
    const impostor = await issueIdentity(await foreignCa(), 'admin', ['system:masters']);
    const before = await web();
    expect(await refusal(applyWith(api(impostor), configMap('shop', 'from-foreign-ca')))).toEqual({ code: 'UNAUTHENTICATED', details: NO_CREDENTIALS });
    expect(await refusal(deleteWith(api(impostor), 'Deployment', 'shop', 'web'))).toEqual({ code: 'UNAUTHENTICATED', details: NO_CREDENTIALS });
    expect(await read('ConfigMap', 'shop', 'from-foreign-ca')).toBeUndefined();
    expect(await web()).toBe(before);
  });

  test.each([
    ['an expired', { notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) }],
    ['a not yet valid', { notBefore: new Date(Date.now() + 3_600_000), notAfter: new Date(Date.now() + 7_200_000) }],
  ])('%s certificate signed by the cluster CA is refused', async (_what, validity) => {
    const { api, ca } = fixture();
    const stale = await issueIdentity(ca, 'admin', ['system:masters'], validity);
    const before = await web();
    expect(await refusal(deleteWith(api(stale), 'Deployment', 'shop', 'web'))).toEqual({ code: 'UNAUTHENTICATED', details: NO_CREDENTIALS });
    expect(await web()).toBe(before);
  });

  test('a user certificate claiming the nodes group is not a node', async () => {
    const { api, user, read } = fixture();
    const mallory = await user('mallory', ['system:nodes']);
    expect(await refusal(applyWith(api(mallory), configMap('shop', 'from-mallory')))).toEqual({
      code: 'UNAUTHENTICATED',
      details: 'the client certificate of "mallory" is not a node certificate (CN system:node:<node> with O system:nodes); a node gets one by joining (skiff-agent --token)',
    });
    expect(await read('ConfigMap', 'shop', 'from-mallory')).toBeUndefined();
  });

  test('ctl with a kubeconfig whose certificate another CA signed says it is not logged in, and writes nothing', async () => {
    const { kubeconfig, read } = fixture();
    const foreign = kubeconfig('impostor', await issueIdentity(await foreignCa(), 'admin', ['system:masters']));
    const result = await runCtl(foreign, ['delete', 'deployment', 'web', '-n', 'shop']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: You must be logged in to the server (Unauthorized): ${NO_CREDENTIALS}`);
    expect(await read('Deployment', 'shop', 'web')).toBeDefined();
  });
});

describe('hostile requests: authorization metadata', () => {
  test.each([
    ['a Basic header', authorization('Basic YWRtaW46YWRtaW4='), 'authorization: expected "Bearer <token>"'],
    ['a bearer without a token', authorization('Bearer'), 'authorization: expected "Bearer <token>"'],
    ['a bearer that is no JWT', bearer('not.a.jwt'), `the bearer token is not a well-formed ServiceAccount token (a JWT); ${NEW_TOKEN}`],
  ])('%s is UNAUTHENTICATED', async (_what, metadata, details) => {
    const { api, read } = fixture();
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-metadata'), metadata))).toEqual({ code: 'UNAUTHENTICATED', details });
    expect(await read('ConfigMap', 'team-a', 'from-metadata')).toBeUndefined();
  });

  test('a join token is no API credential', async () => {
    const { api, token } = fixture();
    const before = await web();
    expect(await refusal(deleteWith(api(), 'Deployment', 'shop', 'web', bearer(`${token.id}.${token.secret}`)))).toEqual({
      code: 'UNAUTHENTICATED',
      details:
        'a join token only lets an agent join the cluster (skiff-agent --token); for anything else use the admin kubeconfig the control plane wrote ' +
        '(ctl --kubeconfig <data-dir>/admin.kubeconfig, or set SKIFF_CONFIG or KUBECONFIG), another client certificate signed by the cluster CA, or a ServiceAccount token',
    });
    expect(await web()).toBe(before);
  });
});

describe('hostile requests: ServiceAccount tokens', () => {
  const admin = (): ApiClient => fixture().admin;
  const issueToken = async (seconds = 600): Promise<string> => {
    const { token } = await unary<{ token: string }>((m, o, cb) =>
      admin().CreateToken({ namespace: 'team-a', service_account: 'deployer', expiration_seconds: seconds }, m, o, cb),
    );
    return token;
  };
  /** A token signed with the cluster's own service-account key, with these claims. */
  const signWithClusterKey = async (claims: { aud?: string; expiresAt: Date; issuedAt: Date }): Promise<string> => {
    const { cluster, read } = fixture();
    const account = await read<ServiceAccount>('ServiceAccount', 'team-a', 'deployer');
    const key = createPrivateKey(readFileSync(join(cluster.dataDir, 'pki', 'service-account.key'), 'utf8'));
    return new SignJWT({ 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'deployer', uid: account?.metadata.uid } } })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer('skiff')
      .setAudience(claims.aud ?? 'skiff')
      .setSubject(SA_USER)
      .setIssuedAt(Math.floor(claims.issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
      .sign(key);
  };

  // Node's HTTP/2 server keeps the first authorization field of a request and
  // drops the rest (Go's net/http does the same for kube-apiserver): a second
  // field can neither smuggle credentials in nor add to what the first grants.
  test('of two authorization header fields the first counts: junk first is UNAUTHENTICATED, nothing is written', async () => {
    const { address, ca, read } = fixture();
    const proxy = await startHeaderInjectingProxy({ target: address, caPem: ca.certPem, name: 'authorization', value: `Bearer ${await issueToken()}` });
    const client = createApiClient(proxy.address);
    try {
      const answer = await refusal(applyWith(client, configMap('team-a', 'from-junk-first'), authorization('Bearer not.a.jwt')));
      expect(answer.code).toBe('UNAUTHENTICATED');
      expect(answer.details).not.toContain('eyJ');
    } finally {
      client.close();
      await proxy.close();
    }
    expect(await read('ConfigMap', 'team-a', 'from-junk-first')).toBeUndefined();
  });

  test('of two authorization header fields the first counts: a valid token first gets exactly its own rights', async () => {
    const { address, ca, read } = fixture();
    const proxy = await startHeaderInjectingProxy({ target: address, caPem: ca.certPem, name: 'authorization', value: 'Bearer not.a.jwt' });
    const client = createApiClient(proxy.address);
    const token = `Bearer ${await issueToken()}`;
    try {
      await applyWith(client, configMap('team-a', 'from-valid-first'), authorization(token));
      expect((await refusal(applyWith(client, configMap('team-b', 'from-valid-first'), authorization(token)))).code).toBe('PERMISSION_DENIED');
    } finally {
      client.close();
      await proxy.close();
    }
    expect(await read('ConfigMap', 'team-a', 'from-valid-first')).toMatchObject({ data: { written: 'yes' } });
    expect(await read('ConfigMap', 'team-b', 'from-valid-first')).toBeUndefined();
  });

  test('a valid token does what RBAC grants it, and nothing else', async () => {
    const { api, read } = fixture();
    const token = await issueToken();
    await applyWith(api(), configMap('team-a', 'from-deployer'), bearer(token));
    expect(await read('ConfigMap', 'team-a', 'from-deployer')).toMatchObject({ data: { written: 'yes' } });
    expect(await refusal(applyWith(api(), configMap('team-b', 'from-deployer'), bearer(token)))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `user "${SA_USER}" cannot create configmaps "from-deployer" in namespace "team-b"`,
    });
    expect(await refusal(listWith(api(), 'Secret', 'team-b', bearer(token)))).toEqual({
      code: 'PERMISSION_DENIED',
      details: `user "${SA_USER}" cannot list secrets in namespace "team-b"`,
    });
    expect(await read('ConfigMap', 'team-b', 'from-deployer')).toBeUndefined();
  });

  test('a tampered token (its payload changed after signing) is refused', async () => {
    const { api, read } = fixture();
    const [header, payload, signature] = (await issueToken()).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { sub: string };
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:root' })).toString('base64url');
    expect(await refusal(applyWith(api(), configMap('team-b', 'from-tampered'), bearer(`${header}.${forged}.${signature}`)))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `the bearer token was not signed by this cluster's service-account key; ${NEW_TOKEN}`,
    });
    expect(await read('ConfigMap', 'team-b', 'from-tampered')).toBeUndefined();
  });

  test('a token signed by a key of our own is refused', async () => {
    const { api, read } = fixture();
    const { privateKey } = await generateJoseKeyPair('ES256');
    const token = await new SignJWT({ 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'deployer', uid: 'x' } } })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('skiff')
      .setAudience('skiff')
      .setSubject(SA_USER)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-own-key'), bearer(token)))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `the bearer token was not signed by this cluster's service-account key; ${NEW_TOKEN}`,
    });
    expect(await read('ConfigMap', 'team-a', 'from-own-key')).toBeUndefined();
  });

  test('an unsigned token (alg "none") is refused', async () => {
    const { api, read } = fixture();
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const claims = { iss: 'skiff', aud: 'skiff', sub: SA_USER, exp, 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'deployer', uid: 'x' } } };
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-alg-none'), bearer(token)))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `the bearer token is not signed with ES256; ${NEW_TOKEN}`,
    });
    expect(await read('ConfigMap', 'team-a', 'from-alg-none')).toBeUndefined();
  });

  test('an expired token signed with the cluster key is refused, saying when it expired', async () => {
    const { api, read } = fixture();
    const expiresAt = new Date(Math.floor(Date.now() / 1000 - 60) * 1000);
    const token = await signWithClusterKey({ issuedAt: new Date(expiresAt.getTime() - 600_000), expiresAt });
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-expired'), bearer(token)))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `the ServiceAccount token expired at ${expiresAt.toISOString()}; ${NEW_TOKEN}`,
    });
    expect(await read('ConfigMap', 'team-a', 'from-expired')).toBeUndefined();
  });

  test('a token for another audience is refused', async () => {
    const { api, read } = fixture();
    const token = await signWithClusterKey({ aud: 'some-other-service', issuedAt: new Date(), expiresAt: new Date(Date.now() + 600_000) });
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-other-audience'), bearer(token)))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `the bearer token has an "aud" claim that is not this cluster's; ${NEW_TOKEN}`,
    });
    expect(await read('ConfigMap', 'team-a', 'from-other-audience')).toBeUndefined();
  });

  test('a token outlives neither its ServiceAccount nor a re-created one of the same name', async () => {
    const { api, read, apply: applyAsAdmin } = fixture();
    const token = await issueToken();
    await listWith(api(), 'ConfigMap', 'team-a', bearer(token));
    await deleteWith(admin(), 'ServiceAccount', 'team-a', 'deployer');
    const orphaned = {
      code: 'UNAUTHENTICATED',
      details: 'the ServiceAccount "team-a/deployer" this token was issued for no longer exists (deleted, or re-created since); create it and a new token',
    };
    expect(await refusedSoon(() => listWith(api(), 'ConfigMap', 'team-a', bearer(token)), 'the orphaned token to be refused')).toEqual(orphaned);
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-orphan'), bearer(token)))).toEqual(orphaned);
    await applyAsAdmin(serviceAccount('team-a', 'deployer'));
    // Once a token of the new account works, the control plane knows the new account: the old token still does not.
    const renewed = await issueToken();
    await waitFor(() => listWith(api(), 'ConfigMap', 'team-a', bearer(renewed)), { timeoutMs: 10_000, description: 'a token of the re-created account to work' });
    expect(await refusal(applyWith(api(), configMap('team-a', 'from-orphan'), bearer(token)))).toEqual(orphaned);
    expect(await read('ConfigMap', 'team-a', 'from-orphan')).toBeUndefined();
  });
});
