// Join, renewal and revocation of node certificates, on the in-memory store
// with a real CA (the same code path as the control plane, without processes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, UnauthenticatedError, type Node, type Secret } from '@skiff/api';
import { certificateInfo, createCsr, generateKeyPair } from '@skiff/api/x509';
import { rejectionOf, waitFor } from '@skiff/testkit';
import { InformerFactory } from '../cache/index.js';
import { ObjectStore } from '../objects/object-store.js';
import { loadOrCreateClusterCa, type ClusterCa } from '../pki/index.js';
import { MemoryStore } from '../store/index.js';
import { JoinTokens } from './join-tokens.js';
import { JOIN_TOKEN_ANNOTATION, NodeCredentials, SERIALS_ANNOTATION } from './node-credentials.js';

const NODE = kindInfo('Node');
const SOON = { timeoutMs: 5_000, intervalMs: 5 };

let dataDir: string;
let ca: ClusterCa;
let store: MemoryStore;
let objects: ObjectStore;
let informers: InformerFactory;
let tokens: JoinTokens;
let credentials: NodeCredentials;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-node-credentials-'));
  ca = await loadOrCreateClusterCa(dataDir);
  store = new MemoryStore();
  objects = new ObjectStore(store);
  informers = new InformerFactory({ objects });
  tokens = new JoinTokens(objects);
  credentials = new NodeCredentials({
    objects,
    tokens,
    ca,
    nodes: informers.informerFor<Node>('Node'),
    secrets: informers.informerFor<Secret>('Secret'),
    certificateTtlMs: 3_600_000,
  });
  informers.start();
  await informers.waitForSync();
});

afterEach(async () => {
  await informers.stop();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function csr(): Promise<string> {
  return createCsr(await generateKeyPair(), { commonName: 'ignored', organizations: ['system:masters'] });
}

async function joined(nodeName: string, token: string): Promise<string> {
  const issued = await credentials.join(token, { nodeName, csrPem: await csr(), addresses: ['10.1.2.3'] });
  return certificateInfo(issued.certificatePem).serialHex;
}

describe('NodeCredentials', () => {
  it('issues a node identity whatever the CSR asks for, and records the token and serial on the Node', async () => {
    const token = await tokens.create({ description: 'test' });
    const issued = await credentials.join(`${token.id}.${token.secret}`, { nodeName: 'worker-1', csrPem: await csr(), addresses: ['10.1.2.3'] });
    const info = certificateInfo(issued.certificatePem);
    expect(info.commonName).toBe('system:node:worker-1');
    expect(info.organizations).toEqual(['system:nodes']);
    expect(info.ipAddresses).toEqual(['10.1.2.3']);
    expect(issued.caPem).toBe(ca.certPem);
    const node = await objects.mustGet<Node>(NODE, undefined, 'worker-1');
    expect(node.metadata.annotations).toMatchObject({ [JOIN_TOKEN_ANNOTATION]: token.id });
    expect(node.metadata.annotations?.[SERIALS_ANNOTATION]).toBe(info.serialHex.replace(/^0+/, ''));
    await credentials.check('worker-1', info.serialHex.toUpperCase());
  });

  it('refuses a wrong secret, an unknown id and an expired token, saying how to get a good one', async () => {
    const token = await tokens.create();
    const wrong = await rejectionOf(credentials.join(`${token.id}.${'x'.repeat(16)}`, { nodeName: 'n', csrPem: await csr(), addresses: ['10.0.0.1'] }), UnauthenticatedError);
    expect(wrong.message).toMatch(/is not known to this control plane .*skiff-controlplane token create/);
    const malformed = await rejectionOf(credentials.join('not-a-token', { nodeName: 'n', csrPem: await csr(), addresses: ['10.0.0.1'] }), UnauthenticatedError);
    expect(malformed.message).toMatch(/^join token: expected <6 characters>\.<16 characters>/);
    let now = new Date('2026-01-01T00:00:00Z');
    const clocked = new JoinTokens(objects, () => now);
    const short = await clocked.create({ ttlMs: 60_000 });
    now = new Date('2026-01-01T00:01:01Z');
    const expired = await rejectionOf(clocked.verify(`${short.id}.${short.secret}`), UnauthenticatedError);
    expect(expired.message).toMatch(/expired at 2026-01-01T00:01:00Z; create a new one/);
    expect(await objects.get(NODE, undefined, 'n')).toBeUndefined();
  });

  it('keeps the previous certificate valid across one renewal, and only that one', async () => {
    const token = await tokens.create();
    const first = await joined('worker-2', `${token.id}.${token.secret}`);
    const second = certificateInfo((await credentials.renew('worker-2', { csrPem: await csr(), addresses: ['10.1.2.3'] })).certificatePem).serialHex;
    await credentials.check('worker-2', first);
    await credentials.check('worker-2', second);
    const third = certificateInfo((await credentials.renew('worker-2', { csrPem: await csr(), addresses: ['10.1.2.3'] })).certificatePem).serialHex;
    await credentials.check('worker-2', third);
    // Revocation takes effect once the Node's change reaches the cache (it is read there first).
    await waitFor(() => credentials.check('worker-2', first).then(() => false, () => true), { ...SOON, description: 'the oldest certificate refused' });
    await expect(credentials.check('worker-2', first)).rejects.toThrow(/was replaced or revoked; join the node again/);
  });

  it('revokes when the Node is deleted, when the token is deleted, and on re-joining', async () => {
    const token = await tokens.create();
    const presented = `${token.id}.${token.secret}`;
    const old = await joined('worker-3', presented);
    const renewedByJoin = await joined('worker-3', presented);
    await waitFor(() => credentials.check('worker-3', old).then(() => false, () => true), { ...SOON, description: 'the replaced certificate refused' });
    await expect(credentials.check('worker-3', old)).rejects.toThrow(/replaced or revoked/);
    await credentials.check('worker-3', renewedByJoin);

    await tokens.delete(token.id);
    await waitFor(() => credentials.check('worker-3', renewedByJoin).then(() => false, () => true), { ...SOON, description: 'the deleted token to revoke' });
    await expect(credentials.check('worker-3', renewedByJoin)).rejects.toThrow(/join token that admitted node "worker-3" was deleted/);

    const other = await tokens.create();
    const serial = await joined('worker-4', `${other.id}.${other.secret}`);
    const node = await objects.mustGet<Node>(NODE, undefined, 'worker-4');
    await objects.delete(NODE, undefined, 'worker-4', Number(node.metadata.resourceVersion));
    await waitFor(() => credentials.check('worker-4', serial).then(() => false, () => true), { ...SOON, description: 'the deleted node refused' });
    await expect(credentials.check('worker-4', serial)).rejects.toThrow(/node "worker-4" no longer exists, so its certificate is revoked/);
  });
});
