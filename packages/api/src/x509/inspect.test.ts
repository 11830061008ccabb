import { X509Certificate, createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { caCertificateHash, certificateInfo, certificateMatchesKey } from './inspect.js';
import { createSelfSignedCa, issueCertificate, type CertificateAuthority, type IssuedCertificate } from './issue.js';
import { generateKeyPair, type KeyPairPem } from './keys.js';

const NOW = new Date('2030-01-01T00:00:00Z');

let ca: CertificateAuthority;
let keys: KeyPairPem;
let leaf: IssuedCertificate;

beforeAll(async () => {
  ca = await createSelfSignedCa({ subject: { commonName: 'skiff-ca' }, notBefore: NOW, notAfter: new Date('2040-01-01T00:00:00Z') });
  keys = await generateKeyPair();
  leaf = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    subject: { commonName: 'admin', organizations: ['system:masters', 'ops'] },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', 'fd00::0001'],
    usages: ['client'],
    notBefore: NOW,
    notAfter: new Date('2031-01-01T00:00:00Z'),
    serialNumber: '0a1b2c',
  });
});

describe('certificateInfo', () => {
  it('reads identity, names, lifetime and issuer', () => {
    expect(certificateInfo(leaf.certPem)).toEqual({
      serialHex: '0a1b2c',
      commonName: 'admin',
      organizations: ['system:masters', 'ops'],
      notBefore: NOW,
      notAfter: new Date('2031-01-01T00:00:00Z'),
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', 'fd00::1'],
      issuerCommonName: 'skiff-ca',
    });
  });

  it('reads DER as a TLS peer certificate gives it, and the first certificate of a chain', () => {
    const der = new X509Certificate(leaf.certPem).raw;
    expect(certificateInfo(der)).toEqual(certificateInfo(leaf.certPem));
    expect(certificateInfo(leaf.certPem + ca.certPem).commonName).toBe('admin');
    expect(certificateInfo(der).serialHex).toBe(new X509Certificate(der).serialNumber.toLowerCase());
  });

  it('refuses what is not a certificate', () => {
    expect(() => certificateInfo('nope')).toThrow(InvalidError);
    expect(() => certificateInfo('nope')).toThrow('certificate: not a PEM X.509 certificate');
    expect(() => certificateInfo(new Uint8Array([1, 2, 3]))).toThrow('certificate: not an X.509 certificate');
  });
});

describe('caCertificateHash', () => {
  it('is the lowercase hex SHA-256 of the DER', () => {
    const expected = createHash('sha256').update(new X509Certificate(ca.certPem).raw).digest('hex');
    expect(caCertificateHash(ca.certPem)).toBe(expected);
    expect(caCertificateHash(ca.certPem)).toMatch(/^[0-9a-f]{64}$/);
    expect(() => caCertificateHash('nope')).toThrow('CA certificate: not a PEM X.509 certificate');
  });
});

describe('certificateMatchesKey', () => {
  it('tells a certificate’s key from another', async () => {
    expect(certificateMatchesKey(leaf.certPem, keys.privateKeyPem)).toBe(true);
    expect(certificateMatchesKey(leaf.certPem, (await generateKeyPair()).privateKeyPem)).toBe(false);
    expect(certificateMatchesKey(ca.certPem, ca.keyPem)).toBe(true);
  });
});
