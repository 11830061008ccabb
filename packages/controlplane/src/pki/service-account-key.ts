// The key that signs ServiceAccount tokens (ES256): pki/service-account.key,
// created on the first start. Every token ever issued verifies against it, so
// a damaged key is refused rather than replaced.
import { FailedPreconditionError, messageOf } from '@skiff/api';
import { generateKeyPair, parsePrivateKey, publicKeyPemOf, type KeyPairPem } from '@skiff/api/x509';
import { readSecretFile, writeSecretFile } from './key-files.js';
import { pkiPaths } from './pki-paths.js';

/** The ES256 signing key (PKCS#8 PEM) and its public half (SPKI PEM, what verifiers need). */
export async function loadOrCreateServiceAccountKey(dataDir: string): Promise<KeyPairPem> {
  const path = pkiPaths(dataDir).serviceAccountKey;
  const existing = await readSecretFile(path);
  if (existing === undefined) {
    const keys = await generateKeyPair();
    await writeSecretFile(path, keys.privateKeyPem);
    return keys;
  }
  try {
    parsePrivateKey(existing, path);
  } catch (error) {
    throw new FailedPreconditionError(
      `service-account key: ${messageOf(error)}; restore it from a backup, or remove it to create a new one (every ServiceAccount token issued so far then stops working)`,
    );
  }
  return { privateKeyPem: existing, publicKeyPem: publicKeyPemOf(existing) };
}
