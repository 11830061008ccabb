import { credentials, makeGenericClientConstructor, Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { UnauthenticatedError } from '@skiff/api';
import { Authenticator, type Authorizer } from '../auth/index.js';
import { ServiceAccountTokens } from '../auth/service-account-tokens.js';
import { AuditLog } from '../audit/audit-log.js';
import { bearerOf, RequestGuard, sessionOf } from './request-guard.js';

function metadata(...values: string[]): Metadata {
  const md = new Metadata();
  for (const value of values) md.add('authorization', value);
  return md;
}

describe('bearerOf', () => {
  it('reads one bearer token, or none', () => {
    expect(bearerOf(metadata('Bearer abc.def'))).toBe('abc.def');
    expect(bearerOf(metadata())).toBeUndefined();
  });

  it('refuses other schemes, without echoing them', () => {
    expect(() => bearerOf(metadata('Basic c2VjcmV0'))).toThrow(new UnauthenticatedError('authorization: expected "Bearer <token>"'));
  });
});

describe('sessionOf', () => {
  it('finds the connection of a call in the grpc-js in use: the same for calls on one channel, another for another channel', async () => {
    const identity = (value: Buffer): Buffer => value;
    const service = { Echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } };
    const sessions: (object | undefined)[] = [];
    const server = new Server();
    server.addService(service, {
      Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        sessions.push(sessionOf(call));
        callback(null, call.request);
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
    const Client = makeGenericClientConstructor(service, 'Echo');
    const clients = [new Client(`127.0.0.1:${port}`, credentials.createInsecure()), new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 })];
    try {
      const echo = (client: (typeof clients)[number]): Promise<void> =>
        new Promise((resolve, reject) => (client as unknown as { Echo: (b: Buffer, cb: (e: Error | null) => void) => void }).Echo(Buffer.from('x'), (error) => (error ? reject(error) : resolve())));
      await echo(clients[0]!);
      await echo(clients[0]!);
      await echo(clients[1]!);
      expect(sessions[0]).toBeTypeOf('object');
      expect(sessions[1]).toBe(sessions[0]);
      expect(sessions[2]).toBeTypeOf('object');
      expect(sessions[2]).not.toBe(sessions[0]);
      expect(sessionOf({})).toBeUndefined();
    } finally {
      for (const client of clients) client.close();
      server.forceShutdown();
    }
  });
});

describe('RequestGuard', () => {
  it('reads a connection\'s peer certificate once, and still authenticates (revocation) every call on it', async () => {
    const revoked = new Set<string>();
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const guard = new RequestGuard({
      authenticator: new Authenticator({
        checkNodeCertificate: (node) => {
          if (revoked.has(node)) throw new UnauthenticatedError(`node "${node}" was revoked`);
        },
        serviceAccounts: new ServiceAccountTokens(key),
        serviceAccountExists: () => false,
      }),
      authorizer: {} as Authorizer,
      audit: AuditLog.disabled(),
    });
    const certificate = { subject: { CN: 'system:node:a', O: 'system:nodes' }, serialNumber: '0A', fingerprint256: 'AA' } as unknown as PeerCertificate;
    let reads = 0;
    // The shape of a grpc-js server call: the HTTP/2 session at call.stream.session.
    const callOn = (session: object) => ({
      metadata: new Metadata(),
      call: { stream: { session } },
      getAuthContext: () => {
        reads++;
        return { sslPeerCertificate: certificate };
      },
    });
    const [one, another] = [{}, {}];
    expect((await guard.open(callOn(one))).user.name).toBe('system:node:a');
    expect((await guard.open(callOn(one))).user.name).toBe('system:node:a');
    expect(reads).toBe(1);
    await guard.open(callOn(another));
    expect(reads).toBe(2);
    revoked.add('a');
    await expect(guard.open(callOn(one))).rejects.toThrow('node "a" was revoked');
    expect(reads).toBe(2);
  });
});
