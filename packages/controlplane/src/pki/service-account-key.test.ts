import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError } from '@skiff/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pkiPaths } from './pki-paths.js';
import { loadOrCreateServiceAccountKey } from './service-account-key.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-sa-key-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('loadOrCreateServiceAccountKey', () => {
  it('creates an ES256 key in pki/service-account.key (0600, PKCS#8) and loads it again', async () => {
    const keys = await loadOrCreateServiceAccountKey(dataDir);
    const path = pkiPaths(dataDir).serviceAccountKey;
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(pkiPaths(dataDir).dir)).mode & 0o777).toBe(0o700);
    expect(await readFile(path, 'utf8')).toBe(keys.privateKeyPem);
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(keys.privateKeyPem).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    const signature = sign('sha256', Buffer.from('claims'), { key: keys.privateKeyPem, dsaEncoding: 'ieee-p1363' });
    expect(verify('sha256', Buffer.from('claims'), { key: createPublicKey(keys.publicKeyPem), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(await loadOrCreateServiceAccountKey(dataDir)).toEqual(keys);
  });

  it('refuses a damaged key rather than replacing it', async () => {
    await loadOrCreateServiceAccountKey(dataDir);
    const path = pkiPaths(dataDir).serviceAccountKey;
    await writeFile(path, 'garbage');
    await expect(loadOrCreateServiceAccountKey(dataDir)).rejects.toThrow(FailedPreconditionError);
    await expect(loadOrCreateServiceAccountKey(dataDir)).rejects.toThrow(
      `service-account key: ${path}: not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----); restore it from a backup, or remove it to create a new one (every ServiceAccount token issued so far then stops working)`,
    );
    expect(await readFile(path, 'utf8')).toBe('garbage');
  });
});
