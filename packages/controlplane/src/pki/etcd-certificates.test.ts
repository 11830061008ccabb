import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateInfo } from '@skiff/api/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateClusterCa, type ClusterCa } from './cluster-ca.js';
import { ETCD_CLIENT_COMMON_NAME, ensureEtcdClientCertificate, ensureEtcdMemberCertificate } from './etcd-certificates.js';
import { pkiPaths } from './pki-paths.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
let dataDir: string;
let ca: ClusterCa;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-certs-'));
  ca = await loadOrCreateClusterCa(dataDir, { now: NOW });
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('ensureEtcdMemberCertificate', () => {
  it('names the member, its hosts, localhost and 127.0.0.1, for server and peer (client) use, key 0600; reused until the hosts change', async () => {
    const first = await ensureEtcdMemberCertificate(dataDir, ca, { name: 'n1', hosts: ['127.0.0.2', 'etcd-1.example'], now: NOW });
    expect(first.issued).toBe(true);
    const info = certificateInfo(first.certPem);
    expect(info).toMatchObject({ commonName: 'system:etcd-member:n1', ipAddresses: ['127.0.0.2', '127.0.0.1'], dnsNames: ['etcd-1.example', 'localhost'] });
    expect(new X509Certificate(first.certPem).keyUsage?.sort()).toEqual([SERVER_AUTH, CLIENT_AUTH].sort());
    expect((await stat(pkiPaths(dataDir).etcdMemberKey)).mode & 0o777).toBe(0o600);

    const again = await ensureEtcdMemberCertificate(dataDir, ca, { name: 'n1', hosts: ['127.0.0.2', 'etcd-1.example'], now: NOW });
    expect(again).toMatchObject({ issued: false, certPem: first.certPem });
    const moved = await ensureEtcdMemberCertificate(dataDir, ca, { name: 'n1', hosts: ['127.0.0.3'], now: NOW });
    expect(moved.issued).toBe(true);
    expect(certificateInfo(moved.certPem).ipAddresses).toEqual(['127.0.0.3', '127.0.0.1']);
    const renamed = await ensureEtcdMemberCertificate(dataDir, ca, { name: 'n2', hosts: ['127.0.0.3'], now: NOW });
    expect(certificateInfo(renamed.certPem).commonName).toBe('system:etcd-member:n2');
  });
});

describe('ensureEtcdClientCertificate', () => {
  it('is a client-only identity from the cluster CA', async () => {
    const client = await ensureEtcdClientCertificate(dataDir, ca, { now: NOW });
    expect(certificateInfo(client.certPem)).toMatchObject({ commonName: ETCD_CLIENT_COMMON_NAME, issuerCommonName: certificateInfo(ca.certPem).commonName });
    expect(new X509Certificate(client.certPem).keyUsage).toEqual([CLIENT_AUTH]);
    expect((await ensureEtcdClientCertificate(dataDir, ca, { now: NOW })).issued).toBe(false);
  });
});
