import { connect } from 'node:tls';
import { credentials, Server, status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import {
  agentServiceDefinition,
  createAgentClient,
  createNodeApiClient,
  nodeApiServiceDefinition,
  type LogChunkMessage,
  type LogsRequestMessage,
  RotatingCertificateProvider,
} from '@skiff/api';
import { certificateInfo } from '@skiff/api/x509';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentServerCredentials, CONTROL_PLANE_IDENTITY, refusalOf, requireControlPlane } from './agent-server-security.js';
import { createTestPki, type TestKeyPair, type TestPki } from './test-pki.js';

let pki: TestPki;
let other: TestPki;
let node: TestKeyPair;
let controlPlane: TestKeyPair;
const servers: Server[] = [];
let handled: string[] = [];

beforeAll(async () => {
  [pki, other] = await Promise.all([createTestPki('cluster-ca'), createTestPki('other-ca')]);
  node = await pki.serving(['127.0.0.1']);
  controlPlane = await pki.client(CONTROL_PLANE_IDENTITY, { organizations: ['system:controlplanes'] });
});
afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
  handled = [];
});

/** The agent's server as agent.ts builds it: node certificate, control plane only. Logs streams, Heartbeat is a unary stand-in. */
async function agentServer(provider: RotatingCertificateProvider): Promise<string> {
  const server = new Server();
  server.addService(
    agentServiceDefinition(),
    requireControlPlane({
      Logs: (call: ServerWritableStream<LogsRequestMessage, LogChunkMessage>) => {
        handled.push('Logs');
        call.write({ data: Buffer.from('hello\n') });
        call.end();
      },
    }),
  );
  server.addService(
    nodeApiServiceDefinition(),
    requireControlPlane({
      Heartbeat: (_call: unknown, callback: (error: null, value: object) => void) => {
        handled.push('Heartbeat');
        callback(null, {});
      },
    }),
  );
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', agentServerCredentials(provider), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

function providerFor(serving: TestKeyPair): RotatingCertificateProvider {
  return new RotatingCertificateProvider({ caPem: pki.ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem });
}

function clientCredentials(caller: TestKeyPair | undefined) {
  const ca = Buffer.from(pki.ca.certPem);
  return caller ? credentials.createSsl(ca, Buffer.from(caller.keyPem), Buffer.from(caller.certPem)) : credentials.createSsl(ca);
}

/** Logs as `caller`: the text received, or the error. */
async function logs(address: string, caller: TestKeyPair | undefined): Promise<string | ServiceError> {
  const client = createAgentClient(address, {}, clientCredentials(caller));
  try {
    return await new Promise<string | ServiceError>((resolve) => {
      let text = '';
      const stream = client.Logs({ namespace: 'default', pod: 'web', container: 'app', follow: false, tail_lines: 0 });
      stream.on('data', (chunk: { data: Buffer }) => (text += chunk.data.toString()));
      stream.on('error', (error: ServiceError) => resolve(error));
      stream.on('end', () => resolve(text));
    });
  } finally {
    client.close();
  }
}

async function heartbeat(address: string, caller: TestKeyPair): Promise<ServiceError | null> {
  const client = createNodeApiClient(address, {}, clientCredentials(caller));
  try {
    return await new Promise((resolve) => client.Heartbeat({ node_name: 'x' }, (error) => resolve(error)));
  } finally {
    client.close();
  }
}

describe("the agent's gRPC server", () => {
  it('answers the control plane, over TLS with the node certificate', async () => {
    const address = await agentServer(providerFor(node));
    expect(await logs(address, controlPlane)).toBe('hello\n');
    expect(await heartbeat(address, controlPlane)).toBeNull();
    expect(handled).toEqual(['Logs', 'Heartbeat']);
  });

  it('refuses a certificate of the cluster CA with another CN, on streams and unary calls alike', async () => {
    const address = await agentServer(providerFor(node));
    const intruder = await pki.client('system:node:node-b', { organizations: ['system:nodes'] });
    const streamed = await logs(address, intruder);
    expect(streamed).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: `this agent answers only the control plane (${CONTROL_PLANE_IDENTITY}), not "system:node:node-b"`,
    });
    expect(await heartbeat(address, await pki.client('admin', { organizations: ['system:masters'] }))).toMatchObject({ code: status.PERMISSION_DENIED });
    expect(handled).toEqual([]);
  });

  it("refuses the control plane's name on a certificate of another CA, and no certificate at all, at the TLS handshake", async () => {
    const address = await agentServer(providerFor(node));
    const impostor = await other.client(CONTROL_PLANE_IDENTITY);
    expect(await logs(address, impostor)).toMatchObject({ code: status.UNAVAILABLE });
    expect(await logs(address, undefined)).toMatchObject({ code: status.UNAVAILABLE });
    expect(handled).toEqual([]);
  });

  it('serves a renewed certificate to new connections without a restart', async () => {
    const provider = providerFor(node);
    const address = await agentServer(provider);
    const servedSerial = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const [host = '', port] = address.split(':');
        const socket = connect({ host, port: Number(port), ca: pki.ca.certPem, cert: controlPlane.certPem, key: controlPlane.keyPem, ALPNProtocols: ['h2'] }, () => {
          resolve(socket.getPeerCertificate().serialNumber.toLowerCase());
          socket.destroy();
        });
        socket.once('error', reject);
      });
    expect(await servedSerial()).toBe(certificateInfo(node.certPem).serialHex);
    const renewed = await pki.serving(['127.0.0.1']);
    provider.update({ caPem: pki.ca.certPem, certPem: renewed.certPem, keyPem: renewed.keyPem });
    expect(await servedSerial()).toBe(certificateInfo(renewed.certPem).serialHex);
    expect(await logs(address, controlPlane)).toBe('hello\n');
  });
});

describe('refusalOf', () => {
  const call = (subject?: Record<string, string | string[]>) => ({
    getAuthContext: () => (subject ? { sslPeerCertificate: { subject } } : {}),
    emit: () => true,
  });
  it('requires a verified peer whose only CN is the control plane', () => {
    expect(refusalOf(call({ CN: CONTROL_PLANE_IDENTITY }))).toBeUndefined();
    expect(refusalOf(call())).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(refusalOf(call({ O: 'system:masters' }))?.message).toBe(
      `this agent answers only the control plane (${CONTROL_PLANE_IDENTITY}), not a certificate without a common name`,
    );
    expect(refusalOf(call({ CN: [CONTROL_PLANE_IDENTITY, 'admin'] }))).toMatchObject({ code: status.PERMISSION_DENIED });
  });
});
