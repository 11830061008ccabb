import { X509Certificate, createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError } from '@skiff/api';
import { certificateInfo, createSelfSignedCa, generateKeyPair } from '@skiff/api/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueUserCertificate } from './client-certificates.js';
import { loadOrCreateClusterCa } from './cluster-ca.js';
import { pkiPaths } from './pki-paths.js';

const NOW = new Date('2030-06-01T12:00:00Z');
const YEAR_MS = 365 * 24 * 3_600_000;

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-cluster-ca-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('loadOrCreateClusterCa', () => {
  it('creates a 10-year CA on the first start: dir 0700, key 0600, cert 0644', async () => {
    const ca = await loadOrCreateClusterCa(dataDir, { now: NOW });
    const paths = pkiPaths(dataDir);
    expect(await modeOf(paths.dir)).toBe(0o700);
    expect(await modeOf(paths.caKey)).toBe(0o600);
    expect(await modeOf(paths.caCert)).toBe(0o644);
    expect(await readFile(paths.caCert, 'utf8')).toBe(ca.certPem);
    expect(await readFile(paths.caKey, 'utf8')).toBe(ca.keyPem);
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe(`CN=skiff-ca@${NOW.getTime() / 1000}`);
    const info = certificateInfo(ca.certPem);
    expect(info.notBefore).toEqual(new Date(NOW.getTime() - 5 * 60_000));
    expect(info.notAfter).toEqual(new Date(NOW.getTime() + 3650 * 24 * 3_600_000));
    expect(ca.hash).toBe(createHash('sha256').update(cert.raw).digest('hex'));
  });

  it('loads the same CA on every later start', async () => {
    const first = await loadOrCreateClusterCa(dataDir, { now: NOW });
    const again = await loadOrCreateClusterCa(dataDir, { now: new Date(NOW.getTime() + YEAR_MS) });
    expect(again).toEqual(first);
  });

  it('verifies the leaves it issued, and not those of another CA', async () => {
    const ca = await loadOrCreateClusterCa(dataDir, { now: NOW });
    const other = await createSelfSignedCa({ subject: { commonName: 'other' }, notAfter: new Date(NOW.getTime() + YEAR_MS) });
    const leaf = new X509Certificate((await issueUserCertificate(ca, { userName: 'alice', now: NOW })).certPem);
    const foreign = new X509Certificate((await issueUserCertificate(other, { userName: 'alice', now: NOW })).certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey)).toBe(true);
    expect(foreign.verify(caCert.publicKey)).toBe(false);
  });

  it('tightens a key file others can read', async () => {
    await loadOrCreateClusterCa(dataDir, { now: NOW });
    const paths = pkiPaths(dataDir);
    await chmod(paths.caKey, 0o644);
    await chmod(paths.dir, 0o755);
    await loadOrCreateClusterCa(dataDir, { now: NOW });
    expect(await modeOf(paths.caKey)).toBe(0o600);
    expect(await modeOf(paths.dir)).toBe(0o700);
  });

  it('refuses a half-present pair, saying which file is missing', async () => {
    await loadOrCreateClusterCa(dataDir, { now: NOW });
    const paths = pkiPaths(dataDir);
    const key = await readFile(paths.caKey, 'utf8');
    await unlink(paths.caKey);
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(FailedPreconditionError);
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(
      `cluster CA: ${paths.caCert} exists but ${paths.caKey} does not; restore both files from a backup; or, to start a new cluster identity (every node must then join again), remove both`,
    );
    await writeFile(paths.caKey, key, { mode: 0o600 });
    await unlink(paths.caCert);
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(`cluster CA: ${paths.caKey} exists but ${paths.caCert} does not`);
  });

  it('refuses a key that is not the certificate’s, a certificate that is no CA, garbage, and an expired CA', async () => {
    const ca = await loadOrCreateClusterCa(dataDir, { now: NOW });
    const paths = pkiPaths(dataDir);
    await writeFile(paths.caKey, (await generateKeyPair()).privateKeyPem);
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(`cluster CA: ${paths.caKey} is not the key of ${paths.caCert}`);

    await writeFile(paths.caKey, 'garbage');
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(`cluster CA: ${paths.caKey}: not an unencrypted PEM private key`);

    const leaf = await issueUserCertificate(ca, { userName: 'alice', now: NOW });
    await writeFile(paths.caCert, leaf.certPem);
    await writeFile(paths.caKey, leaf.keyPem);
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(`cluster CA: ${paths.caCert} is not a CA certificate`);

    await writeFile(paths.caCert, 'garbage');
    await expect(loadOrCreateClusterCa(dataDir, { now: NOW })).rejects.toThrow(`cluster CA: ${paths.caCert} is not a PEM certificate`);

    await writeFile(paths.caCert, ca.certPem);
    await writeFile(paths.caKey, ca.keyPem);
    await expect(loadOrCreateClusterCa(dataDir, { now: new Date(NOW.getTime() + 11 * YEAR_MS) })).rejects.toThrow(
      /^cluster CA: .*ca\.crt expired on 2040-05-29T12:00:00\.000Z, and with it every certificate it signed; remove/,
    );
    expect(await loadOrCreateClusterCa(dataDir, { now: NOW })).toEqual(ca);
  });
});
