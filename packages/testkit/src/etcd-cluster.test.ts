import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsGet, startEtcdCluster, type EtcdCluster } from './etcd-cluster.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

function plainGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(String(response.statusCode)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('startEtcdCluster', () => {
  it('runs three healthy members that answer only TLS clients with a certificate from the CA', async () => {
    expect(cluster.members.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    expect(await Promise.all(cluster.members.map((m) => cluster.health(m)))).toEqual(['true', 'true', 'true']);
    // (Healthy means a leader, which a member of three has only with a quorum: they formed one cluster.)

    const url = cluster.endpoints[0]!;
    // Plaintext on the TLS port: etcd answers with a TLS alert or a 400, never the data.
    const plaintext = await plainGet(`${url.replace('https://', 'http://')}/health`).catch((error: Error) => error.message);
    expect(plaintext).not.toBe('200');
    // TLS without a client certificate: the handshake is refused.
    const anonymous = await httpsGet(`${url}/health`, { ...cluster.clientTls, certPem: '', keyPem: '' }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(anonymous).not.toBe('answered');
  }, 60_000);
});
