import { createSelfSignedCa, generateKeyPair, issueCertificate, type CertificateAuthority } from '@skiff/api/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { renewalDelay, renewalDue, renewalTime, validityFor } from './renewal.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(NOW.getTime() + ms);

let ca: CertificateAuthority;
let certPem: string;

beforeAll(async () => {
  ca = await createSelfSignedCa({ subject: { commonName: 'ca' }, notBefore: at(-1_000_000), notAfter: at(100_000_000) });
  // Valid from NOW for 30 000 s: due at 20 000 s.
  certPem = (
    await issueCertificate({ ca, publicKeyPem: (await generateKeyPair()).publicKeyPem, subject: { commonName: 'n' }, usages: ['client'], notBefore: NOW, notAfter: at(30_000_000) })
  ).certPem;
});

describe('validityFor', () => {
  it('starts a tenth of the lifetime early, at most five minutes', () => {
    expect(validityFor(NOW, 30_000)).toEqual({ notBefore: at(-3_000), notAfter: at(30_000) });
    expect(validityFor(NOW, 365 * 86_400_000)).toEqual({ notBefore: at(-300_000), notAfter: at(365 * 86_400_000) });
  });
});

describe('renewal', () => {
  it('is due at 2/3 of the lifetime', () => {
    expect(renewalTime(certPem)).toEqual(at(20_000_000));
    expect(renewalDelay(certPem, NOW)).toBe(20_000_000);
    expect(renewalDelay(certPem, at(19_999_000))).toBe(1_000);
    expect(renewalDelay(certPem, at(20_000_000))).toBe(0);
    expect(renewalDelay(certPem, at(40_000_000))).toBe(0);
  });

  it('is due from 2/3 on, and before the certificate is valid', () => {
    expect(renewalDue(certPem, at(19_999_999))).toBe(false);
    expect(renewalDue(certPem, at(20_000_000))).toBe(true);
    expect(renewalDue(certPem, at(-1))).toBe(true);
    expect(renewalDue(certPem, NOW)).toBe(false);
  });
});
