import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFacts, certificateNamesHost } from './facts.js';
import { certificateInfo } from './inspect.js';
import { createSelfSignedCa, issueCertificate, type CertificateAuthority, type IssuedCertificate } from './issue.js';
import { generateKeyPair } from './keys.js';

const NOW = new Date('2030-01-01T00:00:00Z');

let ca: CertificateAuthority;
let node: IssuedCertificate;
let odd: IssuedCertificate;

beforeAll(async () => {
  ca = await createSelfSignedCa({ subject: { commonName: 'skiff-ca' }, notBefore: NOW, notAfter: new Date('2040-01-01T00:00:00Z') });
  const issue = async (commonName: string, serialNumber: string) =>
    issueCertificate({
      ca,
      publicKeyPem: (await generateKeyPair()).publicKeyPem,
      subject: { commonName, organizations: ['system:nodes'] },
      dnsNames: ['node-1.example', 'localhost'],
      ipAddresses: ['10.1.2.3', 'fd00::0001'],
      usages: ['client', 'server'],
      notBefore: new Date('2030-01-01T00:00:05Z'),
      notAfter: new Date('2031-06-30T12:34:56Z'),
      serialNumber,
    });
  node = await issue('system:node:node-1', '00ff01');
  odd = await issue('a,b+c="d"\nCN=system:node:x', '7f');
});

describe('certificateFacts', () => {
  it('reads lifetime, serial and CN as certificateInfo does', () => {
    const info = certificateInfo(node.certPem);
    expect(certificateFacts(node.certPem)).toEqual({
      serialHex: info.serialHex,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      commonName: 'system:node:node-1',
    });
    expect(certificateFacts(new Uint8Array(Buffer.from(node.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')))).toEqual(certificateFacts(node.certPem));
    expect(certificateFacts(ca.certPem).commonName).toBe('skiff-ca');
  });

  it('never reads a CN with DN syntax in it as a plain identity', () => {
    const { commonName } = certificateFacts(odd.certPem);
    expect(commonName).not.toBe('system:node:x');
    expect(commonName).not.toBe(certificateInfo(odd.certPem).commonName);
  });

  it('refuses what is not a certificate', () => {
    expect(() => certificateFacts('nope')).toThrow('certificate: not a PEM X.509 certificate');
    expect(() => certificateFacts(new Uint8Array([1, 2, 3]))).toThrow('certificate: not an X.509 certificate');
  });
});

describe('certificateNamesHost', () => {
  it('matches the alternative names, IPs in any spelling, DNS names in any case, never the CN or a wildcard', () => {
    for (const host of ['10.1.2.3', 'fd00::1', 'FD00:0:0:0:0:0:0:1', 'node-1.example', 'NODE-1.example', 'localhost']) {
      expect(certificateNamesHost(node.certPem, host), host).toBe(true);
    }
    for (const host of ['10.1.2.4', 'fd00::2', 'other.example', 'system:node:node-1', 'example', '*.example']) {
      expect(certificateNamesHost(node.certPem, host), host).toBe(false);
    }
  });
});
