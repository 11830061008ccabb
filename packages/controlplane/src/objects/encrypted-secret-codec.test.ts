import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '@skiff/api';
import { EncryptedSecretCodec, KEY_FILE_CHECK_INTERVAL_MS, encryptionKeyNameOf, isEncryptedValue } from './encrypted-secret-codec.js';
import { addEncryptionKey, loadOrCreateEncryptionKeys, readEncryptionKeysSync, SECRETS_KEY_FILE } from './secret-encryption-keys.js';

const KEY = '/skiff/secrets/shop/db';
const PLAINTEXT = JSON.stringify({ kind: 'Secret', data: { password: Buffer.from('hunter2-correct-horse').toString('base64') } });

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-codec-'));
  path = join(dir, SECRETS_KEY_FILE);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function failure(run: () => unknown): FailedPreconditionError {
  try {
    run();
  } catch (error) {
    if (error instanceof FailedPreconditionError) return error;
    throw error;
  }
  throw new Error('expected a FailedPreconditionError, but nothing was thrown');
}

function expectNoPlaintext(message: string): void {
  expect(message).not.toContain('hunter2');
  expect(message).not.toContain(Buffer.from('hunter2-correct-horse').toString('base64'));
}

describe('EncryptedSecretCodec', () => {
  it('stores AES-GCM under the first key with a fresh nonce each time, and reads it back', async () => {
    const codec = await EncryptedSecretCodec.open(path);
    const [first] = readEncryptionKeysSync(path).keys;
    const stored = codec.toStorage(PLAINTEXT, KEY);
    expect(stored).toMatch(new RegExp(`^skiff:enc:aesgcm:v1:${first?.name}:[A-Za-z0-9+/]+=*$`));
    expect(isEncryptedValue(stored)).toBe(true);
    expect(encryptionKeyNameOf(stored)).toBe(first?.name);
    const sealed = Buffer.from(stored.slice(stored.lastIndexOf(':') + 1), 'base64');
    expect(sealed.length).toBe(12 + Buffer.byteLength(PLAINTEXT) + 16);
    expect(codec.toStorage(PLAINTEXT, KEY)).not.toBe(stored);
    expect(codec.fromStorage(stored, KEY)).toBe(PLAINTEXT);
  });

  it('passes plain JSON, written before encryption, through unchanged', async () => {
    const codec = await EncryptedSecretCodec.open(path);
    expect(isEncryptedValue(PLAINTEXT)).toBe(false);
    expect(encryptionKeyNameOf(PLAINTEXT)).toBeUndefined();
    expect(codec.fromStorage(PLAINTEXT, KEY)).toBe(PLAINTEXT);
  });

  it('refuses a value copied under another object\'s key, and a tampered one, without quoting anything of it', async () => {
    const codec = await EncryptedSecretCodec.open(path);
    const stored = codec.toStorage(PLAINTEXT, KEY);
    const copied = failure(() => codec.fromStorage(stored, '/skiff/secrets/shop/other'));
    expect(copied.message).toContain(`does not decrypt with key "${codec.currentKeyName}": it was altered, or copied from another object`);
    expectNoPlaintext(copied.message);

    const sealed = Buffer.from(stored.slice(stored.lastIndexOf(':') + 1), 'base64');
    sealed[20] = (sealed[20] ?? 0) ^ 0x01;
    const tampered = `${stored.slice(0, stored.lastIndexOf(':') + 1)}${sealed.toString('base64')}`;
    const altered = failure(() => codec.fromStorage(tampered, KEY));
    expect(altered.message).toContain('it was altered');
    expect(failure(() => codec.fromStorage(`${stored.slice(0, stored.lastIndexOf(':') + 1)}AAAA`, KEY)).message).toContain('it was altered');
  });

  it('names a format it cannot read', async () => {
    const codec = await EncryptedSecretCodec.open(path);
    expect(failure(() => codec.fromStorage('skiff:enc:kms:v2:whatever', KEY)).message).toContain(
      'its stored value is in a format this control plane cannot read ("skiff:enc:kms:v2…"',
    );
  });

  it('reads values under a key a rotation just added (re-reading the file), and old-key values after it', async () => {
    const running = await EncryptedSecretCodec.open(path);
    const oldValue = running.toStorage(PLAINTEXT, KEY);
    const rotated = await addEncryptionKey(path);
    const rotator = await EncryptedSecretCodec.open(path);
    const newValue = rotator.toStorage(PLAINTEXT, KEY);
    expect(encryptionKeyNameOf(newValue)).toBe(rotated.name);
    expect(running.fromStorage(newValue, KEY)).toBe(PLAINTEXT);
    expect(rotator.fromStorage(oldValue, KEY)).toBe(PLAINTEXT);
  });

  it('fails clearly on a key that is not in the file, even after re-reading it', async () => {
    const codec = await EncryptedSecretCodec.open(path);
    const otherFile = join(dir, 'other', SECRETS_KEY_FILE);
    await loadOrCreateEncryptionKeys(otherFile, () => new Date('2020-01-01T00:00:00Z'));
    const elsewhere = await EncryptedSecretCodec.open(otherFile);
    const foreign = elsewhere.toStorage(PLAINTEXT, KEY);
    const error = failure(() => codec.fromStorage(foreign, KEY));
    expect(error.message).toContain(
      `its stored value is encrypted under key "${elsewhere.currentKeyName}", which ${path} does not hold (it holds "${codec.currentKeyName}")`,
    );
    expectNoPlaintext(error.message);
  });

  it('moves writes to a rotated key once the file changed, looking at most once a second', async () => {
    let now = 1_000_000;
    const codec = await EncryptedSecretCodec.open(path, { now: () => now });
    const before = codec.currentKeyName;
    const rotated = await addEncryptionKey(path);
    expect(encryptionKeyNameOf(codec.toStorage(PLAINTEXT, KEY))).toBe(before);
    now += KEY_FILE_CHECK_INTERVAL_MS - 1;
    expect(encryptionKeyNameOf(codec.toStorage(PLAINTEXT, KEY))).toBe(before);
    now += 1;
    expect(encryptionKeyNameOf(codec.toStorage(PLAINTEXT, KEY))).toBe(rotated.name);
    expect(codec.currentKeyName).toBe(rotated.name);
  });

  it('stops writing when the key file turns unreadable, saying why', async () => {
    let now = 0;
    const codec = await EncryptedSecretCodec.open(path, { now: () => now });
    const sealed = codec.toStorage(PLAINTEXT, KEY);
    await writeFile(path, '{"keys":[]}', { mode: 0o600 });
    now += KEY_FILE_CHECK_INTERVAL_MS;
    // Every write fails until the file reads again, not just the one that noticed.
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(failure(() => codec.toStorage(PLAINTEXT, KEY)).message).toContain('keys: must list at least one key');
    }
    // Reading what the keys it holds decrypt goes on.
    expect(codec.fromStorage(sealed, KEY)).toBe(PLAINTEXT);
  });
});
