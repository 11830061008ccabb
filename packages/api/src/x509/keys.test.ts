import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { generateKeyPair, importKeyPair, parsePrivateKey, parsePublicKey, publicKeyPemOf } from './keys.js';

describe('generateKeyPair', () => {
  it('makes an ECDSA P-256 pair in PKCS#8 and SPKI PEM', async () => {
    const keys = await generateKeyPair();
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const key = parsePrivateKey(keys.privateKeyPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(publicKeyPemOf(keys.privateKeyPem)).toBe(keys.publicKeyPem);
  });

  it('makes a different pair each time', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });
});

describe('parsePrivateKey', () => {
  it('refuses garbage without repeating it', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n';
    expect(() => parsePrivateKey(garbage, 'pki/ca.key')).toThrow(InvalidError);
    expect(() => parsePrivateKey(garbage, 'pki/ca.key')).toThrow(/^pki\/ca\.key: not an unencrypted PEM private key/);
    try {
      parsePrivateKey(garbage);
    } catch (error) {
      expect(String(error)).not.toContain('c2VjcmV0LXN0dWZm');
    }
  });

  it('refuses keys that are not P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parsePrivateKey(rsa, 'key')).toThrow('key: expected an ECDSA P-256 key, found RSA');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parsePrivateKey(p384, 'key')).toThrow('key: expected an ECDSA P-256 key, found EC secp384r1');
    const p384Public = createPublicKey(p384).export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parsePublicKey(p384Public, 'pub')).toThrow('pub: expected an ECDSA P-256 key, found EC secp384r1');
  });
});

describe('importKeyPair', () => {
  it('refuses a public key that is not the private key’s', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    await expect(importKeyPair({ privateKeyPem: a.privateKeyPem, publicKeyPem: b.publicKeyPem })).rejects.toThrow('key pair: the public key does not belong to the private key');
    await expect(importKeyPair(a)).resolves.toMatchObject({ privateKey: { type: 'private' }, publicKey: { type: 'public' } });
  });
});
