import { Metadata, status, type sendUnaryData, type ServiceError } from '@grpc/grpc-js';
import { LEADER_METADATA_KEY, nodeApiServiceDefinition } from '@skiff/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneLink, leaderHintOf } from './control-plane-link.js';
import type { NodeCredentials } from './credentials/node-credentials.js';
import { createTestPki, serveTls, type TestGrpcServer } from './credentials/test-pki.js';

// Three control planes over real TLS: two standbys that refuse heartbeats
// (naming the leader, as grpc/leader-only.ts does), and the leader that answers.
let servers: TestGrpcServer[] = [];
let credentials: NodeCredentials;
let leader = '';
const elsewhere = '127.0.0.1:1';

function standby(hint: string | undefined) {
  return {
    Heartbeat: (_call: unknown, callback: sendUnaryData<unknown>) => {
      const metadata = new Metadata();
      if (hint) metadata.set(LEADER_METADATA_KEY, hint);
      callback({ code: status.UNAVAILABLE, details: `this control plane is a standby: heartbeats go to the leader at ${hint}`, metadata });
    },
  };
}

beforeAll(async () => {
  const pki = await createTestPki();
  const client = await pki.client('system:node:node-a', { organizations: ['system:nodes'] });
  credentials = { caPem: pki.ca.certPem, certPem: client.certPem, keyPem: client.keyPem };
  const leading = await serveTls(pki, nodeApiServiceDefinition(), { Heartbeat: (_call: unknown, callback: sendUnaryData<unknown>) => callback(null, { heartbeat_interval_ms: 500 }) });
  leader = leading.address;
  servers = [await serveTls(pki, nodeApiServiceDefinition(), standby(leader)), await serveTls(pki, nodeApiServiceDefinition(), standby(elsewhere)), leading];
});

afterAll(() => {
  for (const server of servers) server.stop();
});

function heartbeat(link: ControlPlaneLink): Promise<ServiceError | undefined> {
  return new Promise((resolve) => link.client.Heartbeat({ node_name: 'node-a' }, { deadline: Date.now() + 5000 }, (error) => resolve(error ?? undefined)));
}

describe('ControlPlaneLink follows the leader', () => {
  it('goes straight to the leader a standby names, skipping the servers in between', async () => {
    const [first, second] = servers;
    const link = new ControlPlaneLink({ servers: [first!.address, second!.address, leader], credentials });
    const refused = await heartbeat(link);
    expect(refused?.code).toBe(status.UNAVAILABLE);
    expect(leaderHintOf(refused)).toBe(leader);
    link.failover(refused);
    expect(link.server).toBe(leader);
    expect(await heartbeat(link)).toBeUndefined();
    // Already at the leader it names: a failover with the same hint stays.
    link.failover(refused);
    expect(link.server).toBe(leader);
    link.close();
  });

  it('tries the next server when the hint names none of its servers, or there is no hint', async () => {
    const [, second] = servers;
    const link = new ControlPlaneLink({ servers: [second!.address, servers[0]!.address, leader], credentials });
    const refused = await heartbeat(link);
    expect(leaderHintOf(refused)).toBe(elsewhere);
    link.failover(refused);
    expect(link.server).toBe(servers[0]!.address);
    link.failover(new Error('no metadata'));
    expect(link.server).toBe(leader);
    expect(leaderHintOf(undefined)).toBeUndefined();
    link.close();
  });
});
