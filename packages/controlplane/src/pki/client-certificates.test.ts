import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { InvalidError } from '@skiff/api';
import { certificateInfo, createCsr, generateKeyPair, type KeyPairPem } from '@skiff/api/x509';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureControlPlaneClientCertificate, issueAdminCertificate, issueNodeCertificate, issueUserCertificate } from './client-certificates.js';
import { loadOrCreateClusterCa, type ClusterCa } from './cluster-ca.js';
import { pkiPaths } from './pki-paths.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(NOW.getTime() + ms);
const DAY_MS = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

let dataDir: string;
let ca: ClusterCa;
let nodeKeys: KeyPairPem;
let csrPem: string;

beforeAll(async () => {
  nodeKeys = await generateKeyPair();
  // What the agent asks for does not matter: the control plane decides the identity.
  csrPem = await createCsr(nodeKeys, { commonName: 'admin', organizations: ['system:masters'] });
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-client-certs-'));
  ca = await loadOrCreateClusterCa(dataDir, { now: NOW });
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('issueUserCertificate and issueAdminCertificate', () => {
  it('name the user in CN and each group in an O, for client use, a year by default', async () => {
    const admin = await issueAdminCertificate(ca, { now: NOW });
    const cert = new X509Certificate(admin.certPem);
    expect(cert.subject).toBe('O=system:masters\nCN=admin');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert.checkPrivateKey(createPrivateKey(admin.keyPem))).toBe(true);
    expect(admin.notAfter).toEqual(at(365 * DAY_MS));
    expect(admin.serialHex).toBe(cert.serialNumber.toLowerCase());

    const ops = await issueUserCertificate(ca, { userName: 'jane', groups: ['ops', 'dev'], ttlMs: DAY_MS, now: NOW });
    expect(certificateInfo(ops.certPem)).toMatchObject({ commonName: 'jane', organizations: ['ops', 'dev'], notAfter: at(DAY_MS), dnsNames: [], ipAddresses: [] });
  });
});

describe('issueNodeCertificate', () => {
  it('issues system:node:<name> in system:nodes for the CSR’s key, client and server, SANs = addresses', async () => {
    const issued = await issueNodeCertificate(ca, { nodeName: 'worker-1', csrPem, addresses: ['10.0.0.11', 'worker-1.lan', 'fd00::b'], ttlMs: 30 * DAY_MS, now: NOW });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:worker-1');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH, SERVER_AUTH]);
    expect(cert.subjectAltName).toBe('DNS:worker-1.lan, IP Address:10.0.0.11, IP Address:FD00:0:0:0:0:0:0:B');
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(nodeKeys.publicKeyPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(issued.notAfter).toEqual(at(30 * DAY_MS));
    expect(issued.serialHex).toBe(cert.serialNumber.toLowerCase());
  });

  it('refuses garbage with what is wrong', async () => {
    const base = { nodeName: 'worker-1', csrPem, addresses: ['10.0.0.11'], ttlMs: DAY_MS, now: NOW };
    const cases: [Partial<typeof base>, string][] = [
      [{ nodeName: 'Worker_1' }, 'node name "Worker_1": must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)'],
      [{ addresses: ['10.0.0.11', 'http://x'] }, 'node address "http://x": neither an IP address nor a DNS name'],
      [{ addresses: ['10.0.0.300'] }, 'node address "10.0.0.300": neither an IP address nor a DNS name'],
      [{ addresses: [] }, 'node addresses: none given; the agent must report at least one address (--address) the control plane can reach it at'],
      [{ ttlMs: 0 }, 'certificate lifetime: must be a positive whole number of milliseconds, not 0'],
      [{ ttlMs: Number.NaN }, 'certificate lifetime: must be a positive whole number of milliseconds, not NaN'],
      [{ csrPem: 'not a csr' }, 'CSR: expected PEM starting with -----BEGIN CERTIFICATE REQUEST-----'],
    ];
    for (const [change, message] of cases) {
      const attempt = issueNodeCertificate(ca, { ...base, ...change });
      await expect(attempt, message).rejects.toThrow(InvalidError);
      await expect(issueNodeCertificate(ca, { ...base, ...change }), message).rejects.toThrow(message);
    }
  });
});

describe('ensureControlPlaneClientCertificate', () => {
  it('keeps system:skiff-controlplane in pki/controlplane-client.crt and .key until 2/3 of its year', async () => {
    const first = await ensureControlPlaneClientCertificate(dataDir, ca, { now: NOW });
    const paths = pkiPaths(dataDir);
    expect(first.issued).toBe(true);
    expect(await readFile(paths.controlPlaneClientCert, 'utf8')).toBe(first.certPem);
    expect((await stat(paths.controlPlaneClientKey)).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(first.certPem).subject).toBe('O=system:controlplanes\nCN=system:skiff-controlplane');
    expect(new X509Certificate(first.certPem).keyUsage).toEqual([CLIENT_AUTH]);
    expect(await ensureControlPlaneClientCertificate(dataDir, ca, { now: at(200 * DAY_MS) })).toEqual({ ...first, issued: false });
    const renewed = await ensureControlPlaneClientCertificate(dataDir, ca, { now: at(250 * DAY_MS) });
    expect(renewed.issued).toBe(true);
    expect(certificateInfo(renewed.certPem).notAfter).toEqual(at(615 * DAY_MS));
  });
});

describe('mutual TLS between the control plane and an agent', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('the agent serves its node certificate, the control plane presents its client certificate, each side verifies the other', async () => {
    // TLS checks validity against the real clock.
    await rm(pkiPaths(dataDir).dir, { recursive: true });
    ca = await loadOrCreateClusterCa(dataDir);
    const node = await issueNodeCertificate(ca, { nodeName: 'worker-1', csrPem, addresses: ['127.0.0.1'], ttlMs: DAY_MS });
    const client = await ensureControlPlaneClientCertificate(dataDir, ca);
    const peers: string[] = [];
    server = createServer({ cert: node.certPem + ca.certPem, key: nodeKeys.privateKeyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
      peers.push(String(socket.getPeerCertificate().subject.CN));
      socket.end('ok');
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const address = listening.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const dial = (credentials: { cert?: string; key?: string }): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca: ca.certPem, ...credentials });
        let received = '';
        socket.on('data', (data) => (received += data.toString()));
        socket.on('end', () => resolve(received));
        socket.on('error', reject);
      });

    await expect(dial({ cert: client.certPem, key: client.keyPem })).resolves.toBe('ok');
    expect(peers).toEqual(['system:skiff-controlplane']);
    await expect(dial({})).rejects.toThrow();
    expect(peers).toEqual(['system:skiff-controlplane']);
  });
});
