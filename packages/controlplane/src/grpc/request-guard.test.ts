import { credentials, makeGenericClientConstructor, Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '@skiff/api';
import { bearerOf, sessionOf } from './request-guard.js';

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
