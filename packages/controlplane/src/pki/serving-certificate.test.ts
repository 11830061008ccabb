import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import { InvalidError } from '@skiff/api';
import { createSelfSignedCa, generateKeyPair, issueCertificate } from '@skiff/api/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateClusterCa, type ClusterCa } from './cluster-ca.js';
import { pkiPaths } from './pki-paths.js';
import { ensureServingCertificate, needsRenewal, servingAltNames } from './serving-certificate.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(NOW.getTime() + ms);
const YEAR_MS = 365 * 86_400_000;
/** Serving certificates live a year from issuance, valid from five minutes before: due at 2/3 of that span. */
const DUE_AFTER_MS = -300_000 + (2 * (YEAR_MS + 300_000)) / 3;

let dataDir: string;
let ca: ClusterCa;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-serving-'));
  ca = await loadOrCreateClusterCa(dataDir, { now: NOW });
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('servingAltNames', () => {
  it('adds localhost and 127.0.0.1 and sorts IPs from names', () => {
    expect(servingAltNames(['10.0.0.1', 'cp.example.com', '::1'])).toEqual({ dnsNames: ['cp.example.com', 'localhost'], ipAddresses: ['10.0.0.1', '::1', '127.0.0.1'] });
    expect(servingAltNames([])).toEqual({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  });

  it('refuses a host that is neither', () => {
    expect(() => servingAltNames(['10.0.0.1:7400'])).toThrow(InvalidError);
    expect(() => servingAltNames(['10.0.0.1:7400'])).toThrow('serving certificate host "10.0.0.1:7400": neither an IP address nor a DNS name');
  });
});

describe('needsRenewal', () => {
  async function cert(hosts: string[], notBefore: Date, notAfter: Date): Promise<string> {
    const names = servingAltNames(hosts);
    const keys = await generateKeyPair();
    return (await issueCertificate({ ca, publicKeyPem: keys.publicKeyPem, subject: { commonName: 's' }, ...names, usages: ['server'], notBefore, notAfter })).certPem;
  }

  it('is false for the same hosts, in any order and spelling, before 2/3 of the lifetime', async () => {
    const pem = await cert(['10.0.0.1', 'cp.example.com'], NOW, at(30_000_000));
    expect(needsRenewal(pem, NOW, ['10.0.0.1', 'cp.example.com'])).toBe(false);
    expect(needsRenewal(pem, at(19_999_999), ['CP.example.com.', '10.0.0.1', 'localhost', '127.0.0.1'])).toBe(false);
  });

  it('is true from 2/3 of the lifetime on, and before it starts', async () => {
    const pem = await cert([], NOW, at(30_000_000));
    expect(needsRenewal(pem, at(20_000_000), [])).toBe(true);
    expect(needsRenewal(pem, at(40_000_000), [])).toBe(true);
    expect(needsRenewal(pem, at(-1_000), [])).toBe(true);
  });

  it('is true when a host is added, removed or changed', async () => {
    const pem = await cert(['10.0.0.1'], NOW, at(30_000_000));
    expect(needsRenewal(pem, NOW, ['10.0.0.1', '10.0.0.2'])).toBe(true);
    expect(needsRenewal(pem, NOW, [])).toBe(true);
    expect(needsRenewal(pem, NOW, ['10.0.0.2'])).toBe(true);
  });
});

describe('ensureServingCertificate', () => {
  it('writes pki/server.crt (0644) and .key (0600) for the hosts, chained to the CA', async () => {
    const serving = await ensureServingCertificate(dataDir, ca, { sans: ['10.1.2.3', 'cp.example.com'], now: NOW });
    const paths = pkiPaths(dataDir);
    expect(serving.issued).toBe(true);
    expect(await readFile(paths.serverCert, 'utf8')).toBe(serving.certPem);
    expect(await readFile(paths.serverKey, 'utf8')).toBe(serving.keyPem);
    expect((await stat(paths.serverCert)).mode & 0o777).toBe(0o644);
    expect((await stat(paths.serverKey)).mode & 0o777).toBe(0o600);
    expect(serving.chainPem).toBe(serving.certPem + ca.certPem);
    const cert = new X509Certificate(serving.certPem);
    expect(cert.subjectAltName).toBe('DNS:cp.example.com, DNS:localhost, IP Address:10.1.2.3, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(new Date(cert.validTo)).toEqual(at(YEAR_MS));
  });

  it('keeps the certificate while it fits, and issues a new one when the hosts change or 2/3 of its life is spent', async () => {
    const first = await ensureServingCertificate(dataDir, ca, { sans: ['10.1.2.3'], now: NOW });
    const kept = await ensureServingCertificate(dataDir, ca, { sans: ['10.1.2.3'], now: at(DUE_AFTER_MS - 1_000) });
    expect(kept).toEqual({ ...first, issued: false });
    const due = await ensureServingCertificate(dataDir, ca, { sans: ['10.1.2.3'], now: at(DUE_AFTER_MS) });
    expect(due.issued).toBe(true);
    expect(due.keyPem).not.toBe(first.keyPem);
    const moved = await ensureServingCertificate(dataDir, ca, { sans: ['10.1.2.4'], now: at(DUE_AFTER_MS) });
    expect(moved.issued).toBe(true);
    expect(new X509Certificate(moved.certPem).subjectAltName).toContain('IP Address:10.1.2.4');
  });

  it('repairs what is wrong with the files: a foreign CA, a mismatched or missing key, garbage, loose modes', async () => {
    const paths = pkiPaths(dataDir);
    const first = await ensureServingCertificate(dataDir, ca, { sans: [], now: NOW });
    const other = await createSelfSignedCa({ subject: { commonName: 'other' }, notAfter: at(YEAR_MS * 2) });
    const foreign = await ensureServingCertificate(dataDir, other, { sans: [], now: NOW });
    expect(foreign.issued).toBe(true);
    expect((await ensureServingCertificate(dataDir, ca, { sans: [], now: NOW })).issued).toBe(true);

    await writeFile(paths.serverKey, first.keyPem);
    expect((await ensureServingCertificate(dataDir, ca, { sans: [], now: NOW })).issued).toBe(true);
    await writeFile(paths.serverKey, 'garbage');
    expect((await ensureServingCertificate(dataDir, ca, { sans: [], now: NOW })).issued).toBe(true);
    await rm(paths.serverKey);
    expect((await ensureServingCertificate(dataDir, ca, { sans: [], now: NOW })).issued).toBe(true);

    await chmod(paths.serverKey, 0o644);
    expect((await ensureServingCertificate(dataDir, ca, { sans: [], now: NOW })).issued).toBe(false);
    expect((await stat(paths.serverKey)).mode & 0o777).toBe(0o600);
  });
});

describe('a serving certificate TLS accepts', () => {
  let server: Server | undefined;
  // TLS checks validity against the real clock.
  beforeEach(async () => {
    await rm(pkiPaths(dataDir).dir, { recursive: true });
    ca = await loadOrCreateClusterCa(dataDir);
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** Connects to a TLS server presenting the certificate, trusting only the cluster CA. */
  async function handshake(options: { servername?: string; trust?: string } = {}): Promise<string> {
    const serving = await ensureServingCertificate(dataDir, ca, { sans: ['skiff.test'] });
    server = createServer({ cert: serving.chainPem, key: serving.keyPem, minVersion: 'TLSv1.3' }, (socket) => socket.end('hello'));
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const address = listening.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: options.trust ?? ca.certPem, ...(options.servername ? { servername: options.servername } : {}) });
      let received = '';
      socket.on('data', (data) => (received += data.toString()));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
  }

  it('is accepted at 127.0.0.1 by a client trusting only the CA', async () => {
    await expect(handshake()).resolves.toBe('hello');
  });

  it('is refused under a name it does not carry', async () => {
    await expect(handshake({ servername: 'elsewhere.test' })).rejects.toThrow(/Host: elsewhere\.test\. is not in the cert's altnames/);
  });

  it('is refused by a client that trusts another CA', async () => {
    const other = await createSelfSignedCa({ subject: { commonName: 'other' }, notAfter: new Date(Date.now() + YEAR_MS) });
    await expect(handshake({ trust: other.certPem })).rejects.toMatchObject({ code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });
});
