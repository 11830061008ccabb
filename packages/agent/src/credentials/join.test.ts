import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  BACKOFF,
  backoffDelay,
  FailedPreconditionError,
  nodeApiServiceDefinition,
  UnauthenticatedError,
  type NodeApiHandlers,
} from '@skiff/api';
import { certificateInfo, issueCertificate } from '@skiff/api/x509';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { joinCluster } from './join.js';
import { recordingLogger } from './test-logger.js';
import { closedAddress, createTestPki, serveTls, type TestGrpcServer, type TestPki } from './test-pki.js';

const ID = 'abc123';
const SECRET = '0123456789abcdef';
const quiet = pino({ level: 'silent' });

let pki: TestPki;
let other: TestPki;
const servers: TestGrpcServer[] = [];

beforeAll(async () => {
  [pki, other] = await Promise.all([createTestPki('cluster-ca'), createTestPki('other-ca')]);
});
afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
});

interface SeenJoin {
  authorization: unknown;
  clientCertificate: boolean;
  request: { node_name: string; addresses: string[] };
}

type JoinCall = ServerUnaryCall<{ node_name: string; csr_pem: string; addresses: string[] }, unknown>;

/** A control plane that serves Join the way the design says: bearer token checked, the CSR's key signed for system:node:<name>. */
async function joinServer(options: { unavailableFor?: number; seen?: SeenJoin[] } = {}): Promise<string> {
  let refusals = options.unavailableFor ?? 0;
  const handlers = {
    Join: ((call: JoinCall, callback: sendUnaryData<unknown>) => {
      const authorization = call.metadata.get('authorization')[0];
      options.seen?.push({ authorization, clientCertificate: call.getAuthContext()?.sslPeerCertificate !== undefined, request: call.request });
      if (refusals-- > 0) return callback({ code: status.UNAVAILABLE, details: 'etcd is not answering' });
      if (authorization !== `Bearer ${ID}.${SECRET}`) return callback({ code: status.UNAUTHENTICATED, details: 'join token xyz987 does not exist' });
      const name = call.request.node_name;
      issueCertificate({
        ca: pki.ca,
        csrPem: call.request.csr_pem,
        subject: { commonName: `system:node:${name}`, organizations: ['system:nodes'] },
        ipAddresses: call.request.addresses,
        usages: ['client', 'server'],
        notAfter: new Date(Date.now() + 30 * 24 * 3600 * 1000),
      }).then(
        ({ certPem }) => callback(null, { certificate_pem: certPem, ca_pem: pki.ca.certPem }),
        (error: Error) => callback({ code: status.INVALID_ARGUMENT, details: error.message }),
      );
    }) as NodeApiHandlers['Join'],
  };
  const server = await serveTls(pki, nodeApiServiceDefinition(), handlers);
  servers.push(server);
  return server.address;
}

describe('joinCluster', () => {
  it('pins the CA, proves the token over TLS without a client certificate, and returns a node certificate for the addresses given', async () => {
    const seen: SeenJoin[] = [];
    const server = await joinServer({ seen });
    const credentials = await joinCluster({ servers: [server], token: pki.token(ID, SECRET), nodeName: 'node-a', addresses: ['127.0.0.1'], log: quiet });
    expect(credentials.caPem.trim()).toBe(pki.ca.certPem.trim());
    const info = certificateInfo(credentials.certPem);
    expect(info.commonName).toBe('system:node:node-a');
    expect(info.ipAddresses).toEqual(['127.0.0.1']);
    expect(seen).toEqual([{ authorization: `Bearer ${ID}.${SECRET}`, clientCertificate: false, request: expect.objectContaining({ node_name: 'node-a', addresses: ['127.0.0.1'] }) }]);
  });

  it('refuses a token the control plane does not know, saying how to get one and never showing the secret', async () => {
    const server = await joinServer();
    const token = pki.token('xyz987', 'ffffffffffffffff');
    const refusal = joinCluster({ servers: [server], token, nodeName: 'node-a', addresses: ['127.0.0.1'], log: quiet });
    await expect(refusal).rejects.toThrow(UnauthenticatedError);
    const message = await refusal.catch((error: Error) => error.message);
    expect(message).toBe(
      `the control plane at ${server} refused join token xyz987: join token xyz987 does not exist`,
    );
    expect(message).not.toContain('ffffffffffffffff');
  });

  it('refuses a control plane whose CA is not the one the token pins, without retrying', async () => {
    const seen: SeenJoin[] = [];
    const server = await joinServer({ seen });
    const refusal = joinCluster({ servers: [server], token: other.token(ID, SECRET), nodeName: 'node-a', addresses: ['127.0.0.1'], log: quiet });
    await expect(refusal).rejects.toThrow(`the server at ${server} presents no CA matching the join token's hash sha256:${other.caHash}`);
    expect(seen).toEqual([]);
  });

  it('goes on to the next --server when one is unreachable', async () => {
    const down = await closedAddress(pki);
    const up = await joinServer();
    const { log, lines } = recordingLogger();
    const credentials = await joinCluster({ servers: [down, up], token: pki.token(ID, SECRET), nodeName: 'node-b', addresses: ['127.0.0.1'], log });
    expect(certificateInfo(credentials.certPem).commonName).toBe('system:node:node-b');
    expect(lines().map((line) => [line.msg, line.server])).toEqual([
      ['control plane unreachable for joining', down],
      ['joined the cluster', up],
    ]);
  });

  it('retries UNAVAILABLE with the nodeSession back-off, saying so', async () => {
    const server = await joinServer({ unavailableFor: 2 });
    const waits: number[] = [];
    const { log, lines } = recordingLogger();
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    await joinCluster({ servers: [server], token: pki.token(ID, SECRET), nodeName: 'node-c', addresses: ['127.0.0.1'], log, sleep });
    expect(waits).toEqual([backoffDelay(BACKOFF.nodeSession, 1), backoffDelay(BACKOFF.nodeSession, 2)]);
    expect(lines().filter((line) => line.msg.startsWith('no control plane answered')).map((line) => line.msg)).toEqual([
      `no control plane answered; retrying the join in ${waits[0]} ms`,
      `no control plane answered; retrying the join in ${waits[1]} ms`,
    ]);
  });

  it('explains a control plane that does not serve Join yet', async () => {
    const server = await serveTls(pki, nodeApiServiceDefinition(), {});
    servers.push(server);
    const refusal = joinCluster({ servers: [server.address], token: pki.token(ID, SECRET), nodeName: 'node-a', addresses: ['127.0.0.1'], log: quiet });
    await expect(refusal).rejects.toThrow(FailedPreconditionError);
    await expect(refusal).rejects.toThrow(`the control plane at ${server.address} does not serve Join`);
  });

  it('stops retrying when the agent stops', async () => {
    const controller = new AbortController();
    const down = await closedAddress(pki);
    const sleep = async (): Promise<void> => controller.abort();
    const joining = joinCluster({ servers: [down], token: pki.token(ID, SECRET), nodeName: 'node-a', addresses: ['127.0.0.1'], log: quiet, signal: controller.signal, sleep });
    await expect(joining).rejects.toThrow('This operation was aborted');
  });
});
