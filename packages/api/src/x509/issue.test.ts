import { X509Certificate, createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { createCsr } from './csr.js';
import { isIssuedBy } from './inspect.js';
import { createSelfSignedCa, issueCertificate, randomSerialHex, type CertificateAuthority } from './issue.js';
import { generateKeyPair, type KeyPairPem } from './keys.js';
import { x509 } from './peculiar.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;
const later = (ms: number): Date => new Date(NOW.getTime() + ms);

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let keys: KeyPairPem;

beforeAll(async () => {
  [ca, otherCa, keys] = await Promise.all([
    createSelfSignedCa({ subject: { commonName: 'test-ca' }, notBefore: NOW, notAfter: later(1000 * HOUR) }),
    createSelfSignedCa({ subject: { commonName: 'test-ca' }, notBefore: NOW, notAfter: later(1000 * HOUR) }),
    generateKeyPair(),
  ]);
});

describe('createSelfSignedCa', () => {
  it('makes a CA that signs leaves but no further CAs', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=test-ca');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    const parsed = new x509.X509Certificate(ca.certPem);
    const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
    expect(constraints).toMatchObject({ ca: true, pathLength: 0, critical: true });
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
    );
    expect(new Date(cert.validFrom)).toEqual(NOW);
    expect(new Date(cert.validTo)).toEqual(later(1000 * HOUR));
  });
});

describe('issueCertificate', () => {
  it('issues a leaf the CA verifies, from a CSR, naming whom the caller decides', async () => {
    const csrPem = await createCsr(keys, { commonName: 'admin', organizations: ['system:masters'] });
    const issued = await issueCertificate({
      ca,
      csrPem,
      subject: { commonName: 'system:node:n1', organizations: ['system:nodes'] },
      dnsNames: ['N1.example.com'],
      ipAddresses: ['10.0.0.5', '0:0:0:0:0:0:0:1'],
      usages: ['client', 'server'],
      notBefore: NOW,
      notAfter: later(HOUR),
    });
    const leaf = new X509Certificate(issued.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.verify(new X509Certificate(otherCa.certPem).publicKey)).toBe(false);
    expect(isIssuedBy(issued.certPem, ca.certPem)).toBe(true);
    expect(isIssuedBy(issued.certPem, otherCa.certPem)).toBe(false);
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe('O=system:nodes\nCN=system:node:n1');
    expect(leaf.subjectAltName).toBe('DNS:n1.example.com, IP Address:10.0.0.5, IP Address:0:0:0:0:0:0:0:1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1']);
    expect(leaf.publicKey.export({ type: 'spki', format: 'pem' })).toBe(keys.publicKeyPem);
    expect(issued).toMatchObject({ notBefore: NOW, notAfter: later(HOUR) });
    expect(issued.serialHex).toBe(leaf.serialNumber.toLowerCase());
    // PEM ends with a newline, so that leaf + CA concatenate into a chain.
    expect(issued.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[^]*\n-----END CERTIFICATE-----\n$/);
    expect(ca.certPem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });

  it('issues for a bare public key, with one usage and no SANs', async () => {
    const issued = await issueCertificate({ ca, publicKeyPem: keys.publicKeyPem, subject: { commonName: 'alice' }, usages: ['client'], notBefore: NOW, notAfter: later(HOUR) });
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.subject).toBe('CN=alice');
    expect(leaf.subjectAltName).toBeUndefined();
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('uses the serial it is given, and random positive 128-bit ones otherwise', async () => {
    const given = await issueCertificate({ ca, publicKeyPem: keys.publicKeyPem, subject: { commonName: 'a' }, usages: ['client'], notAfter: later(HOUR), serialNumber: '00ff01' });
    expect(new X509Certificate(given.certPem).serialNumber).toBe('FF01');
    expect(given.serialHex).toBe('ff01');
    const serials = Array.from({ length: 500 }, () => randomSerialHex());
    expect(new Set(serials).size).toBe(500);
    for (const serial of serials) {
      expect(serial).toMatch(/^([1-9a-f][0-9a-f]|0[1-9a-f])([0-9a-f]{2}){0,15}$/);
    }
    // Half of them have the top bit set: the DER integer needs a 0x00 sign byte to stay positive, and Node reads it back unchanged.
    const highBit = serials.find((serial) => serial.length === 32 && Number.parseInt(serial[0] ?? '0', 16) >= 8) ?? '';
    const issued = await issueCertificate({ ca, publicKeyPem: keys.publicKeyPem, subject: { commonName: 'a' }, usages: ['client'], notAfter: later(HOUR), serialNumber: highBit });
    expect(new X509Certificate(issued.certPem).serialNumber.toLowerCase()).toBe(highBit);
    expect(issued.serialHex).toBe(highBit);
  });

  it('never lets a leaf outlive its CA', async () => {
    const issued = await issueCertificate({ ca, publicKeyPem: keys.publicKeyPem, subject: { commonName: 'a' }, usages: ['client'], notBefore: NOW, notAfter: later(5000 * HOUR) });
    expect(issued.notAfter).toEqual(later(1000 * HOUR));
  });

  it('refuses what it cannot sign honestly', async () => {
    const base = { ca, publicKeyPem: keys.publicKeyPem, subject: { commonName: 'a' }, usages: ['client' as const], notBefore: NOW, notAfter: later(HOUR) };
    const leaf = await issueCertificate(base);
    const cases: [Partial<Parameters<typeof issueCertificate>[0]>, string][] = [
      [{ usages: [] }, 'certificate usages: give at least one of client, server'],
      [{ notAfter: NOW }, 'certificate lifetime: notAfter 2030-01-01T00:00:00.000Z is not after notBefore 2030-01-01T00:00:00.000Z'],
      [{ dnsNames: ['bad name'] }, 'certificate DNS name "bad name": not valid'],
      [{ ipAddresses: ['10.0.0.256'] }, 'certificate IP address "10.0.0.256": not valid'],
      [{ subject: { commonName: '' } }, 'subject: common name: must be 1 to 320 characters, got 0'],
      [{ subject: { commonName: 'a', organizations: ['x'.repeat(321)] } }, 'subject: organizations[0]: must be 1 to 320 characters, got 321'],
      [{ serialNumber: '000' }, 'serial number: expected 1 to 40 hex digits, not all zero'],
      [{ serialNumber: 'xyz' }, 'serial number: expected 1 to 40 hex digits, not all zero'],
      [{ ca: { certPem: leaf.certPem, keyPem: keys.privateKeyPem } }, 'CA certificate "CN=a": not a CA (basicConstraints CA:FALSE)'],
      [{ ca: { certPem: ca.certPem, keyPem: otherCa.keyPem } }, 'CA private key: does not belong to the CA certificate'],
      [{ ca: { certPem: 'nope', keyPem: ca.keyPem } }, 'CA certificate: not a PEM X.509 certificate'],
      [{ publicKeyPem: 'nope' }, 'certificate public key: not a PEM public key'],
    ];
    for (const [change, message] of cases) {
      const attempt = issueCertificate({ ...base, ...change } as Parameters<typeof issueCertificate>[0]);
      await expect(attempt, message).rejects.toThrow(InvalidError);
      await expect(issueCertificate({ ...base, ...change } as Parameters<typeof issueCertificate>[0]), message).rejects.toThrow(message);
    }
  });
});
