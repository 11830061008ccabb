import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { FailedPreconditionError, UnauthenticatedError, UnavailableError } from '@skiff/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchPinnedCa } from './pinned-ca.js';
import { createTestPki, type TestPki } from './test-pki.js';

let pki: TestPki;
let other: TestPki;
/** How to stop each server a test started. */
const cleanups: (() => Promise<unknown>)[] = [];
const closing = (server: Server | NetServer) => () => new Promise((resolve) => server.close(resolve));

beforeAll(async () => {
  [pki, other] = await Promise.all([createTestPki('cluster-ca'), createTestPki('other-ca')]);
});
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A TLS server on 127.0.0.1 presenting `chain` (PEM, leaf first); its address. */
async function tlsServer(chain: string, keyPem: string): Promise<string> {
  const server = createServer({ cert: chain, key: keyPem, ALPNProtocols: ['h2'] }, (socket) => socket.end());
  cleanups.push(closing(server));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('fetchPinnedCa', () => {
  it('returns the CA in the presented chain whose hash the token pins', async () => {
    const serving = await pki.serving(['127.0.0.1', 'localhost']);
    const address = await tlsServer(serving.certPem + pki.ca.certPem, serving.keyPem);
    const ca = await fetchPinnedCa(address, pki.caHash);
    expect(ca.trim()).toBe(pki.ca.certPem.trim());
    // By name too (SNI is sent for names).
    expect((await fetchPinnedCa(address.replace('127.0.0.1', 'localhost'), pki.caHash)).trim()).toBe(pki.ca.certPem.trim());
  });

  it('refuses a server of another cluster, naming the address and the hash', async () => {
    const serving = await other.serving(['127.0.0.1']);
    const address = await tlsServer(serving.certPem + other.ca.certPem, serving.keyPem);
    const refusal = fetchPinnedCa(address, pki.caHash);
    await expect(refusal).rejects.toThrow(UnauthenticatedError);
    await expect(refusal).rejects.toThrow(
      `the server at ${address} presents no CA matching the join token's hash sha256:${pki.caHash} — is --server the right control plane, and the token from its data dir?`,
    );
  });

  it('refuses a server that sends its leaf without the CA: nothing there matches', async () => {
    const serving = await pki.serving(['127.0.0.1']);
    const address = await tlsServer(serving.certPem, serving.keyPem);
    await expect(fetchPinnedCa(address, pki.caHash)).rejects.toThrow('presents no CA matching');
  });

  it('refuses a serving certificate that does not name the host dialled', async () => {
    const serving = await pki.serving(['10.9.9.9']);
    const address = await tlsServer(serving.certPem + pki.ca.certPem, serving.keyPem);
    const refusal = fetchPinnedCa(address, pki.caHash);
    await expect(refusal).rejects.toThrow(FailedPreconditionError);
    await expect(refusal).rejects.toThrow("the control plane's serving certificate does not name 127.0.0.1");
    await expect(refusal).rejects.toThrow('add 127.0.0.1 to its --tls-san');
  });

  it('refuses a plaintext gRPC server, saying control planes serve TLS only', async () => {
    const server = new GrpcServer();
    cleanups.push(async () => server.forceShutdown());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const refusal = fetchPinnedCa(`127.0.0.1:${port}`, pki.caHash);
    await expect(refusal).rejects.toThrow(FailedPreconditionError);
    await expect(refusal).rejects.toThrow(`the server at 127.0.0.1:${port} does not speak TLS, and Skiff control planes serve TLS only: check that --server`);
  });

  it('reports a closed port or a silent peer as unavailable', async () => {
    const serving = await pki.serving(['127.0.0.1']);
    const closed = await tlsServer(serving.certPem, serving.keyPem);
    await cleanups.pop()?.();
    await expect(fetchPinnedCa(closed, pki.caHash)).rejects.toThrow(UnavailableError);
    await expect(fetchPinnedCa(closed, pki.caHash)).rejects.toThrow(`cannot reach the control plane at ${closed} over TLS: ECONNREFUSED`);

    const silent = createNetServer((socket) => socket.resume()); // reads (so it sees the agent hang up), never answers
    cleanups.push(closing(silent));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    await expect(fetchPinnedCa(address, pki.caHash, { timeoutMs: 200 })).rejects.toThrow('no TLS handshake within 200 ms');
  });
});
