// ECDSA P-256 key pairs as PEM text (PKCS#8 private, SPKI public): generated
// and parsed with node:crypto, handed to WebCrypto only to sign.
import { createPrivateKey, createPublicKey, generateKeyPair as generateNodeKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidError } from '../errors.js';
import { ECDSA_P256 } from './algorithms.js';

export interface KeyPairPem {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  privateKeyPem: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
}

const generateNode = promisify(generateNodeKeyPair);

/** A fresh ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateNode('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * A private key from PEM, checked to be ECDSA P-256. `what` names the key in
 * the error (a file name, say); the key's content never appears in it.
 */
export function parsePrivateKey(pem: string, what = 'private key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new InvalidError(`${what}: not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  }
  requireP256(key, what);
  return key;
}

/** A public key from PEM (SPKI), checked to be ECDSA P-256. */
export function parsePublicKey(pem: string, what = 'public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new InvalidError(`${what}: not a PEM public key (expected -----BEGIN PUBLIC KEY-----)`);
  }
  requireP256(key, what);
  return key;
}

/** The SPKI PEM of the public half of a private key. */
export function publicKeyPemOf(privateKeyPem: string): string {
  return createPublicKey(parsePrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

/** Whether two public keys (SPKI PEM, or KeyObjects) are the same key. */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return spkiDer(a).equals(spkiDer(b));
}

export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The pair as WebCrypto keys, checking that the public key is the private key's. */
export async function importKeyPair(keys: KeyPairPem, what = 'key pair'): Promise<webcrypto.CryptoKeyPair> {
  const privateKey = parsePrivateKey(keys.privateKeyPem, `${what}: private key`);
  const publicKey = parsePublicKey(keys.publicKeyPem, `${what}: public key`);
  if (!samePublicKey(createPublicKey(privateKey), publicKey)) {
    throw new InvalidError(`${what}: the public key does not belong to the private key`);
  }
  return { privateKey: await importSigningKey(privateKey), publicKey: await importVerifyingKey(publicKey) };
}

export function importSigningKey(privateKey: KeyObject): Promise<webcrypto.CryptoKey> {
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, ECDSA_P256, false, ['sign']);
}

function importVerifyingKey(publicKey: KeyObject): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('spki', spkiDer(publicKey), ECDSA_P256, true, ['verify']);
}

function requireP256(key: KeyObject, what: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const found = key.asymmetricKeyType === 'ec' ? `EC ${curve ?? 'unknown curve'}` : (key.asymmetricKeyType ?? 'unknown').toUpperCase();
    throw new InvalidError(`${what}: expected an ECDSA P-256 key, found ${found}; Skiff uses P-256 everywhere`);
  }
}
