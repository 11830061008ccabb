// NodeAgent against a fake control plane (NodeApi over TLS, in this process):
// the agent joins with a token, registers and heartbeats with its node
// certificate, serves its own API to the control plane only, renews without
// re-registering, and comes back from its state dir without the token.
import { mkdtemp, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { BACKOFF, createAgentClient, nodeApiServiceDefinition, type Node } from '@skiff/api';
import { certificateInfo, issueCertificate } from '@skiff/api/x509';
import { pino } from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeAgent, type AgentConfig } from './agent.js';
import { CONTROL_PLANE_IDENTITY, loadNodeCredentials, pkiDir } from './credentials/index.js';
import { FakeClock } from './credentials/test-clock.js';
import { closedAddress, createTestPki, serveTls, type TestGrpcServer, type TestKeyPair, type TestPki } from './credentials/test-pki.js';

const LIFETIME_MS = 30 * 24 * 3600 * 1000;
const TOKEN_ID = 'abc123';
const TOKEN_SECRET = '0123456789abcdef';
const quiet = pino({ level: 'silent' });

let pki: TestPki;
let controlPlaneClient: TestKeyPair;
let stateDir: string;
const agents: NodeAgent[] = [];
const servers: TestGrpcServer[] = [];

/** What the fake control plane saw, by call; `serial` is the caller's client certificate ('none' without one). */
interface Seen {
  joins: number;
  registrations: string[];
  heartbeats: string[];
  watches: { serial: string; resourceVersion: string }[];
  renewals: string[];
}
let seen: Seen;

beforeAll(async () => {
  pki = await createTestPki('cluster-ca');
  controlPlaneClient = await pki.client(CONTROL_PLANE_IDENTITY, { organizations: ['system:controlplanes'] });
});
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'skiff-agent-join-'));
  seen = { joins: 0, registrations: [], heartbeats: [], watches: [], renewals: [] };
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
  for (const server of servers.splice(0)) server.stop();
  await rm(stateDir, { recursive: true, force: true });
});

type Call = Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;
const serialOf = (call: Call): string => call.getAuthContext()?.sslPeerCertificate?.serialNumber.toLowerCase() ?? 'none';

async function issueNodeCertificate(name: string, csrPem: string, addresses: string[]): Promise<string> {
  const now = Date.now();
  const { certPem } = await issueCertificate({
    ca: pki.ca,
    csrPem,
    subject: { commonName: `system:node:${name}`, organizations: ['system:nodes'] },
    ipAddresses: addresses.filter((address) => isIP(address) !== 0),
    dnsNames: addresses.filter((address) => isIP(address) === 0),
    usages: ['client', 'server'],
    notBefore: new Date(now),
    notAfter: new Date(now + LIFETIME_MS),
  });
  return certPem;
}

/** The control plane's side of NodeApi, as far as this test needs it; every call but Join wants a node certificate. */
async function fakeControlPlane(): Promise<string> {
  const refuseWithoutCertificate = (call: Call, callback: sendUnaryData<unknown>): boolean => {
    if (serialOf(call) !== 'none') return false;
    callback({ code: status.UNAUTHENTICATED, details: 'a node certificate is required' });
    return true;
  };
  const server = await serveTls(pki, nodeApiServiceDefinition(), {
    Join: (call: ServerUnaryCall<{ node_name: string; csr_pem: string; addresses: string[] }, unknown>, callback: sendUnaryData<unknown>) => {
      seen.joins++;
      if (call.metadata.get('authorization')[0] !== `Bearer ${TOKEN_ID}.${TOKEN_SECRET}`) {
        return callback({ code: status.UNAUTHENTICATED, details: 'unknown token' });
      }
      issueNodeCertificate(call.request.node_name, call.request.csr_pem, call.request.addresses).then(
        (certPem) => callback(null, { certificate_pem: certPem, ca_pem: pki.ca.certPem }),
        (error: Error) => callback({ code: status.INVALID_ARGUMENT, details: error.message }),
      );
    },
    RenewCertificate: (call: ServerUnaryCall<{ csr_pem: string; addresses: string[] }, unknown>, callback: sendUnaryData<unknown>) => {
      if (refuseWithoutCertificate(call, callback)) return;
      seen.renewals.push(serialOf(call));
      const name = String(call.getAuthContext()?.sslPeerCertificate?.subject.CN).replace('system:node:', '');
      issueNodeCertificate(name, call.request.csr_pem, call.request.addresses).then(
        (certPem) => callback(null, { certificate_pem: certPem }),
        (error: Error) => callback({ code: status.INVALID_ARGUMENT, details: error.message }),
      );
    },
    RegisterNode: (call: ServerUnaryCall<{ node_json: string }, unknown>, callback: sendUnaryData<unknown>) => {
      if (refuseWithoutCertificate(call, callback)) return;
      seen.registrations.push(serialOf(call));
      const node = JSON.parse(call.request.node_json) as Node;
      const registered: Node = { ...node, spec: { ...node.spec, podCIDR: '10.244.1.0/24' } };
      callback(null, { node_json: JSON.stringify(registered), heartbeat_interval_ms: 20, lease_duration_ms: 60, pod_network: '10.244.0.0/16' });
    },
    Heartbeat: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (refuseWithoutCertificate(call, callback)) return;
      seen.heartbeats.push(serialOf(call));
      callback(null, {});
    },
    WatchAssignments: (call: ServerWritableStream<{ resource_version: string }, unknown>) => {
      seen.watches.push({ serial: serialOf(call), resourceVersion: call.request.resource_version });
      // Nothing is bound to the node: an empty picture at revision 5, then silence until the agent hangs up.
      if (call.request.resource_version === '') call.write({ type: 'SYNCED', resource_version: '5', pod_json: '' });
    },
    UpdatePodStatus: (_call: unknown, callback: sendUnaryData<unknown>) => callback(null, {}),
  });
  servers.push(server);
  return server.address;
}

function agentConfig(overrides: Partial<AgentConfig>): AgentConfig {
  return {
    servers: [],
    nodeName: 'node-a',
    listen: '127.0.0.1:0',
    stateDir,
    runtime: 'process',
    capacity: { cpu: '1', memory: '1Gi', pods: '10' },
    labels: {},
    taints: [],
    insecureRegistries: [],
    restartBackoff: BACKOFF.containerRestart,
    resyncMs: 1000,
    ...overrides,
  };
}

async function startAgent(config: AgentConfig): Promise<{ agent: NodeAgent; agentAddress: string }> {
  const agent = new NodeAgent(config, quiet);
  agents.push(agent);
  const { agentAddress } = await agent.start();
  return { agent, agentAddress };
}

/** Asks the agent for logs with `caller`'s certificate: the gRPC status code that comes back. */
async function logsStatus(agentAddress: string, caller: TestKeyPair): Promise<{ code: status; details: string }> {
  const client = createAgentClient(agentAddress, {}, credentials.createSsl(Buffer.from(pki.ca.certPem), Buffer.from(caller.keyPem), Buffer.from(caller.certPem)));
  try {
    return await new Promise((resolve) => {
      const stream = client.Logs({ namespace: 'default', pod: 'web', container: 'app', follow: false, tail_lines: 0 });
      stream.on('data', () => undefined);
      stream.on('error', (error: ServiceError) => resolve({ code: error.code, details: error.details }));
      stream.on('end', () => resolve({ code: status.OK, details: '' }));
    });
  } finally {
    client.close();
  }
}

describe('NodeAgent with TLS', () => {
  it('joins with the token, then registers, heartbeats and watches with its node certificate, failing over past a dead server', async () => {
    const down = await closedAddress(pki);
    const up = await fakeControlPlane();
    const { agentAddress } = await startAgent(agentConfig({ servers: [down, up], token: pki.token(TOKEN_ID, TOKEN_SECRET) }));

    const saved = await loadNodeCredentials(stateDir, 'node-a');
    if (!saved) throw new Error('no credentials saved');
    const serial = certificateInfo(saved.certPem).serialHex;
    expect(certificateInfo(saved.certPem)).toMatchObject({ commonName: 'system:node:node-a', ipAddresses: ['127.0.0.1'] });
    expect(seen.joins).toBe(1);
    expect(seen.registrations).toEqual([serial]);
    await vi.waitFor(() => expect(seen.heartbeats.length).toBeGreaterThan(1));
    expect(new Set(seen.heartbeats)).toEqual(new Set([serial]));
    await vi.waitFor(() => expect(seen.watches).toEqual([{ serial, resourceVersion: '' }]));

    // The agent's own server: TLS with the node certificate, for the control plane only.
    expect(await logsStatus(agentAddress, controlPlaneClient)).toEqual({
      code: status.NOT_FOUND,
      details: 'container app of pod default/web has not started on this node',
    });
    const otherNode = await pki.client('system:node:node-b', { organizations: ['system:nodes'] });
    expect(await logsStatus(agentAddress, otherNode)).toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it('renews at 2/3 of the lifetime without registering again: heartbeats and the resumed watch move to the new certificate', async () => {
    const server = await fakeControlPlane();
    const clock = new FakeClock(Date.now());
    const { agentAddress } = await startAgent(agentConfig({ servers: [server], token: pki.token(TOKEN_ID, TOKEN_SECRET), clock }));
    const first = await loadNodeCredentials(stateDir, 'node-a');
    if (!first) throw new Error('no credentials saved');
    const oldSerial = certificateInfo(first.certPem).serialHex;
    await vi.waitFor(() => expect(seen.watches).toHaveLength(1));

    const { notBefore, notAfter } = certificateInfo(first.certPem);
    clock.advanceTo(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
    await vi.waitFor(() => expect(seen.renewals).toEqual([oldSerial]));
    const renewed = await vi.waitFor(async () => {
      const now = await loadNodeCredentials(stateDir, 'node-a');
      expect(now?.certPem).not.toBe(first.certPem);
      return now;
    });
    const newSerial = certificateInfo(renewed?.certPem ?? '').serialHex;

    await vi.waitFor(() => expect(seen.heartbeats.at(-1)).toBe(newSerial));
    await vi.waitFor(() => expect(seen.watches.at(-1)).toEqual({ serial: newSerial, resourceVersion: '5' }));
    expect(seen.registrations).toEqual([oldSerial]);
    expect(seen.joins).toBe(1);
    // The agent's server now presents the renewed certificate too, and still answers the control plane.
    expect(await logsStatus(agentAddress, controlPlaneClient)).toMatchObject({ code: status.NOT_FOUND });
  });

  it('comes back from its state dir without the token, and refuses a token for another cluster', async () => {
    const server = await fakeControlPlane();
    const { agent } = await startAgent(agentConfig({ servers: [server], token: pki.token(TOKEN_ID, TOKEN_SECRET) }));
    await agent.stop();
    await startAgent(agentConfig({ servers: [server] }));
    expect(seen.joins).toBe(1);
    expect(seen.registrations).toHaveLength(2);
    await Promise.all(agents.splice(0).map((a) => a.stop()));

    const other = await createTestPki('other-ca');
    const refused = new NodeAgent(agentConfig({ servers: [server], token: other.token(TOKEN_ID, TOKEN_SECRET) }), quiet).start();
    await expect(refused).rejects.toThrow(`but the token pins sha256:${other.caHash}`);
  });

  it('renews at once when it now serves on a host its certificate does not name', async () => {
    const server = await fakeControlPlane();
    const { agent } = await startAgent(agentConfig({ servers: [server], token: pki.token(TOKEN_ID, TOKEN_SECRET) }));
    await agent.stop();
    const clock = new FakeClock(Date.now());
    await startAgent(agentConfig({ servers: [server], listen: 'localhost:0', clock }));
    clock.advanceTo(clock.now());
    await vi.waitFor(() => expect(seen.renewals).toHaveLength(1));
    await vi.waitFor(async () => {
      const renewed = await loadNodeCredentials(stateDir, 'node-a');
      expect(certificateInfo(renewed?.certPem ?? '').dnsNames).toEqual(['localhost']);
    });
  });

  it('refuses to start unjoined without a token, saying where one comes from', async () => {
    const server = await fakeControlPlane();
    const start = new NodeAgent(agentConfig({ servers: [server] }), quiet).start();
    await expect(start).rejects.toThrow(`node node-a has not joined a cluster (no credentials in ${pkiDir(stateDir)}): start the agent with --token`);
    expect(seen.joins).toBe(0);
  });

  it('removes its credentials on reset', async () => {
    const server = await fakeControlPlane();
    const { agent } = await startAgent(agentConfig({ servers: [server], token: pki.token(TOKEN_ID, TOKEN_SECRET) }));
    await agent.stop();
    agents.splice(0);
    await new NodeAgent(agentConfig({ servers: [server] }), quiet).reset();
    expect(await loadNodeCredentials(stateDir, 'node-a')).toBeUndefined();
  });
});
