import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { createCsr, verifyCsr } from './csr.js';
import { generateKeyPair } from './keys.js';
import { x509 } from './peculiar.js';

function tamperedSignature(csrPem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
  // The signature's last byte: the request still parses, the signature no longer matches.
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  return x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
}

describe('createCsr and verifyCsr', () => {
  it('round-trips the public key and the requested subject', async () => {
    const keys = await generateKeyPair();
    const csr = await createCsr(keys, { commonName: 'system:node:n1', organizations: ['system:nodes'] });
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const verified = await verifyCsr(csr);
    expect(verified.publicKeyPem).toBe(keys.publicKeyPem);
    expect(verified.requestedSubject).toEqual({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
  });

  it('keeps DN syntax in names literal', async () => {
    const csr = await createCsr(await generateKeyPair(), { commonName: '#0a,CN=admin+O=x', organizations: ['a, b'] });
    expect((await verifyCsr(csr)).requestedSubject).toEqual({ commonName: '#0a,CN=admin+O=x', organizations: ['a, b'] });
  });

  it('refuses a request whose signature does not match its key', async () => {
    const csr = await createCsr(await generateKeyPair(), { commonName: 'n1' });
    await expect(verifyCsr(tamperedSignature(csr))).rejects.toThrow(
      'CSR: the signature does not match the public key in the request; create the request again with the key it names',
    );
  });

  it('refuses what is not a PEM request, and oversized input', async () => {
    await expect(verifyCsr('hello')).rejects.toThrow('CSR: expected PEM starting with -----BEGIN CERTIFICATE REQUEST-----');
    await expect(verifyCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----')).rejects.toThrow(
      'CSR: the PEM does not hold a valid PKCS#10 request',
    );
    await expect(verifyCsr(`-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(20_000)}`)).rejects.toThrow(/^CSR: 20\d\d\d bytes is more than the 16384/);
  });

  it('refuses keys other than P-256', async () => {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=rsa', keys, signingAlgorithm: algorithm });
    await expect(verifyCsr(csr.toString('pem'))).rejects.toThrow(InvalidError);
    await expect(verifyCsr(csr.toString('pem'))).rejects.toThrow('CSR: public key: expected an ECDSA P-256 key, found RSA');
  });
});
