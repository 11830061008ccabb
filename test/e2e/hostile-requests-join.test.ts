// Hostile requests, part 2: joining and revocation. Join with a wrong, unknown,
// expired, deleted or malformed token; an agent whose token pins another CA;
// node certificates used after their node or their token was deleted, after a
// re-join replaced them, or forged with the CA key outside Join. Every
// refusal is checked word for word, and the Node it would have written is
// read back as the admin.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatJoinToken, type Node, type NodeApiClient } from '@skiff/api';
import { createCsr, generateKeyPair } from '@skiff/api/x509';
import { AGENT_MAIN, waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { authorization, refusal, refusedSoon, unary } from '../harness/grpc-calls.js';
import { useHostileCluster, type Identity, type JoinToken } from '../harness/hostile-cluster.js';
import { heartbeat, registerNode, reportedNode, watchAssignments } from '../harness/skiff-calls.js';

const fixture = useHostileCluster();
const run = promisify(execFile);

const NEW_TOKEN = 'create one with skiff-controlplane token create';

/** Join as `nodeName` with this raw authorization value (or none), as a hostile agent would. */
async function joinWith(nodeName: string, authorizationValue: string | undefined): Promise<unknown> {
  const { nodeApi } = fixture();
  const keys = await generateKeyPair();
  const csrPem = await createCsr(keys, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] });
  const client: NodeApiClient = nodeApi();
  const metadata = authorizationValue === undefined ? undefined : authorization(authorizationValue);
  return unary((m, o, cb) => client.Join({ node_name: nodeName, csr_pem: csrPem, addresses: ['127.0.0.1'] }, m, o, cb), metadata);
}

const node = (name: string) => fixture().read<Node>('Node', '', name);

/** A new token from `skiff-controlplane token create`, parsed. */
async function createToken(...flags: string[]): Promise<JoinToken & { text: string }> {
  const text = (await fixture().tokenCommand('create', ...flags)).trim();
  const match = /^SKF10([0-9a-f]{64})::([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(text);
  if (!match) throw new Error(`token create printed ${JSON.stringify(text)}`);
  return { text, caHash: match[1] ?? '', id: match[2] ?? '', secret: match[3] ?? '' };
}

/** Whether `identity` is still accepted: it registers its own node (a write the node authorizer allows). */
const registerAs = (identity: Identity, nodeName: string, labels: Record<string, string> = {}) =>
  registerNode(fixture().nodeApi(identity), reportedNode(nodeName, labels));

/** Waits until `identity` is refused on a read (the revocation reached the control plane's caches), and returns how. */
const revokedSoon = (identity: Identity, nodeName: string) =>
  refusedSoon(() => watchAssignments(fixture().nodeApi(identity), nodeName), `the certificate of ${nodeName} to be refused`);

/** How many Join calls the control plane has answered, by its /metrics. */
async function joinCalls(): Promise<number> {
  const text = await (await fetch(`http://${fixture().cluster.httpAddress}/metrics`)).text();
  return [...text.matchAll(/^skiff_api_requests_total\{[^}]*method="Join"[^}]*\} (\d+)$/gm)].reduce((sum, [, count]) => sum + Number(count), 0);
}

describe('hostile requests: join tokens', () => {
  test('a wrong secret for a real token id is refused, and no Node appears', async () => {
    const { token } = fixture();
    const wrong = token.secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    expect(await refusal(joinWith('wrong-secret', `Bearer ${token.id}.${wrong}`))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `join token "${token.id}" is not known to this control plane (deleted, or from another cluster); ${NEW_TOKEN}`,
    });
    expect(await node('wrong-secret')).toBeUndefined();
  });

  test('an unknown token id is refused', async () => {
    expect(await refusal(joinWith('unknown-id', 'Bearer zzzzzz.0123456789abcdef'))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `join token "zzzzzz" is not known to this control plane (deleted, or from another cluster); ${NEW_TOKEN}`,
    });
    expect(await node('unknown-id')).toBeUndefined();
  });

  test('an expired token is refused, saying when it expired', async () => {
    const short = await createToken('--ttl', '1s');
    const listed = await fixture().tokenCommand('list');
    const expires = new RegExp(`^${short.id}\\s+\\S+\\s+(\\S+)`, 'm').exec(listed)?.[1] ?? '';
    expect(expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await waitFor(() => Date.now() > Date.parse(expires) + 1000, { timeoutMs: 10_000, description: `join token ${short.id} to expire at ${expires}` });
    expect(await refusal(joinWith('too-late', `Bearer ${short.id}.${short.secret}`))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `join token "${short.id}" expired at ${expires}; create a new one with skiff-controlplane token create --ttl 24h`,
    });
    expect(await node('too-late')).toBeUndefined();
  });

  test('a deleted (revoked) token is refused', async () => {
    const revoked = await createToken();
    expect(await fixture().tokenCommand('delete', revoked.id)).toBe(`token "${revoked.id}" deleted\n`);
    expect(await refusal(joinWith('revoked', `Bearer ${revoked.id}.${revoked.secret}`))).toEqual({
      code: 'UNAUTHENTICATED',
      details: `join token "${revoked.id}" is not known to this control plane (deleted, or from another cluster); ${NEW_TOKEN}`,
    });
    expect(await node('revoked')).toBeUndefined();
  });

  test.each([
    ['no token at all', undefined, 'Join needs a join token (metadata "authorization: Bearer <id>.<secret>"); start the agent with --token'],
    [
      'a malformed token',
      'Bearer abc.def',
      'join token: expected <6 characters>.<16 characters> after "Bearer "; pass the whole token printed by skiff-controlplane token create to skiff-agent --token',
    ],
  ])('Join with %s is refused', async (_what, value, details) => {
    expect(await refusal(joinWith('tokenless', value))).toEqual({ code: 'UNAUTHENTICATED', details });
    expect(await node('tokenless')).toBeUndefined();
  });

  test('a valid token does not admit a node name that is no RFC 1123 subdomain', async () => {
    const { token } = fixture();
    expect(await refusal(joinWith('Evil_Node', `Bearer ${token.id}.${token.secret}`))).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'node_name: a node name must be a lowercase RFC 1123 subdomain (like worker-1), not "Evil_Node"',
    });
  });

  test('an agent whose token pins another CA refuses the server before sending anything, and exits non-zero', async () => {
    const { address, token, dir } = fixture();
    const otherHash = token.caHash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await refusal(joinWith('probe', undefined));
    const joinsBefore = await joinCalls();
    expect(joinsBefore).toBeGreaterThan(0);
    const stateDir = await mkdtemp(join(dir, 'impostor-'));
    const argv = [AGENT_MAIN, '--server', address, '--token', formatJoinToken({ caHash: otherHash, id: token.id, secret: token.secret })];
    argv.push('--name', 'pinned-elsewhere', '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--runtime', 'process');
    const exit = await run(process.execPath, argv, { timeout: 30_000 }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(exit.code).toBe(1);
    expect(exit.output).toContain(
      `the server at ${address} presents no CA matching the join token's hash sha256:${otherHash} — is --server the right control plane, and the token from its data dir?`,
    );
    expect(await joinCalls()).toBe(joinsBefore);
    expect(await node('pinned-elsewhere')).toBeUndefined();
  });
});

describe('hostile requests: revoked node certificates', () => {
  test('a node certificate is refused once its Node is deleted (ctl delete node)', async () => {
    const { join: joinNode, cluster } = fixture();
    const identity = await joinNode('deleted-node');
    await registerAs(identity, 'deleted-node');
    expect((await cluster.ctl(['delete', 'node', 'deleted-node'])).code).toBe(0);
    const revoked = {
      code: 'UNAUTHENTICATED',
      details: 'node "deleted-node" no longer exists, so its certificate is revoked; join the node again: remove <state-dir>/pki on it and start the agent with --token',
    };
    expect(await revokedSoon(identity, 'deleted-node')).toEqual(revoked);
    expect(await refusal(registerAs(identity, 'deleted-node'))).toEqual(revoked);
    // Registering would have re-created it.
    expect(await node('deleted-node')).toBeUndefined();
  });

  test('a node certificate is refused once the token it joined with is deleted', async () => {
    const { join: joinNode } = fixture();
    const token = await createToken('--description', 'to be revoked');
    const identity = await joinNode('orphaned-node', token);
    await registerAs(identity, 'orphaned-node');
    await fixture().tokenCommand('delete', token.id);
    const revoked = {
      code: 'UNAUTHENTICATED',
      details: 'the join token that admitted node "orphaned-node" was deleted, which revokes its certificate; join the node again with a new token',
    };
    expect(await revokedSoon(identity, 'orphaned-node')).toEqual(revoked);
    expect(await refusal(registerAs(identity, 'orphaned-node', { hijacked: 'yes' }))).toEqual(revoked);
    expect(await refusal(heartbeat(fixture().nodeApi(identity), 'orphaned-node'))).toEqual(revoked);
    expect((await node('orphaned-node'))?.metadata.labels?.['hijacked']).toBeUndefined();
  });

  test('re-joining replaces the certificate: the earlier one is refused', async () => {
    const { join: joinNode } = fixture();
    const first = await joinNode('rejoined-node');
    const second = await joinNode('rejoined-node');
    await registerAs(second, 'rejoined-node');
    const replaced = { code: 'UNAUTHENTICATED', details: 'this certificate of node "rejoined-node" was replaced or revoked; join the node again with a token' };
    expect(await revokedSoon(first, 'rejoined-node')).toEqual(replaced);
    expect(await refusal(registerAs(first, 'rejoined-node', { hijacked: 'yes' }))).toEqual(replaced);
    expect((await node('rejoined-node'))?.metadata.labels?.['hijacked']).toBeUndefined();
  });

  test.each([
    ['a node that joined', 'forged-over', true],
    ['a node that never joined', 'never-joined', false],
  ])('a node certificate signed with the CA key outside Join, for %s, is refused', async (_what, nodeName, joined) => {
    const { join: joinNode, user } = fixture();
    if (joined) await registerAs(await joinNode(nodeName), nodeName);
    const forged = await user(`system:node:${nodeName}`, ['system:nodes']);
    expect(await refusal(registerAs(forged, nodeName, { hijacked: 'yes' }))).toEqual({
      code: 'UNAUTHENTICATED',
      details: joined
        ? `this certificate of node "${nodeName}" was replaced or revoked; join the node again with a token`
        : `node "${nodeName}" no longer exists, so its certificate is revoked; join the node again: remove <state-dir>/pki on it and start the agent with --token`,
    });
    expect((await node(nodeName))?.metadata.labels?.['hijacked']).toBeUndefined();
  });
});
