import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, InvalidError } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { addEncryptionKey, loadOrCreateEncryptionKeys, readEncryptionKeysSync, SECRETS_KEY_FILE } from './secret-encryption-keys.js';

const AT = new Date('2026-12-01T10:15:00.123Z');

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-keys-'));
  path = join(dir, 'data', SECRETS_KEY_FILE);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeKeyFile(content: unknown): Promise<void> {
  await mkdir(join(dir, 'data'), { recursive: true, mode: 0o700 });
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
}

describe('loadOrCreateEncryptionKeys', () => {
  it('creates the file at first start with one fresh 32-byte key, dir 0700 and file 0600, and reads the same key back', async () => {
    const created = await loadOrCreateEncryptionKeys(path, () => AT);
    expect(created.map((k) => k.name)).toEqual(['key-20261201T101500Z']);
    expect(created[0]?.secret.symmetricKeySize).toBe(32);
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(path, 'utf8')) as { keys: { name: string; secret: string }[] };
    expect(doc.keys).toEqual([{ name: 'key-20261201T101500Z', secret: created[0]?.secret.export().toString('base64') }]);

    const again = await loadOrCreateEncryptionKeys(path);
    expect(again.map((k) => [k.name, k.secret.export().toString('hex')])).toEqual(
      created.map((k) => [k.name, k.secret.export().toString('hex')]),
    );
  });

  it('gives two processes starting at once the same key', async () => {
    const [a, b] = await Promise.all([loadOrCreateEncryptionKeys(path), loadOrCreateEncryptionKeys(path)]);
    expect(a?.[0]?.secret.equals(b![0]!.secret)).toBe(true);
  });

  it('refuses malformed files naming the field, never quoting key material', async () => {
    const secret = randomBytes(32).toString('base64');
    const short = randomBytes(16).toString('base64');
    const cases: [unknown, string][] = [
      // JSON.parse's own message would quote the text after the fault: "secret":x<key material>
      [`{"keys":[{"name":"k","secret":x${secret}}]}`, 'is not valid JSON'],
      [[], 'must be a JSON object with a "keys" list'],
      [{ keys: [] }, 'keys: must list at least one key'],
      [{ keys: [{ name: 'k', secret }], extra: secret }, 'extra: unknown field'],
      [{ keys: [{ name: 'bad:name', secret }] }, 'keys[0].name: must be 1 to 63 characters'],
      [{ keys: [{ secret }] }, 'keys[0].name: must be'],
      [{ keys: [{ name: 'k', secret: `${secret}!` }] }, 'keys[0].secret: must be base64 of 32 random bytes'],
      [{ keys: [{ name: 'k', secret: short }] }, 'keys[0].secret: must be 32 bytes (AES-256) once decoded, not 16'],
      [{ keys: [{ name: 'k', secret, secrets: secret }] }, 'keys[0].secrets: unknown field'],
      [{ keys: [{ name: 'k', secret }, { name: 'k', secret }] }, 'keys[1].name: "k" is also the name of keys[0]'],
    ];
    for (const [content, expected] of cases) {
      await writeKeyFile(content);
      const error = await rejectionOf(loadOrCreateEncryptionKeys(path), InvalidError);
      expect(error.message).toContain(`${path} is not a valid secrets encryption key file: `);
      expect(error.message).toContain(expected);
      for (const material of [secret.slice(0, 8), short.slice(0, 8), Buffer.from(secret, 'base64').toString('hex').slice(0, 8)]) {
        expect(error.message).not.toContain(material);
      }
      expect(() => readEncryptionKeysSync(path)).toThrow(expected);
    }
  });

  it('refuses a key file others may read, saying how to fix it', async () => {
    await loadOrCreateEncryptionKeys(path);
    await chmod(path, 0o644);
    const error = await rejectionOf(loadOrCreateEncryptionKeys(path), FailedPreconditionError);
    expect(error.message).toContain(`its mode is 0644; run chmod 600 ${path}`);
  });
});

describe('addEncryptionKey', () => {
  it('puts a fresh key first and keeps the others after it, under a name unlike theirs', async () => {
    const [first] = await loadOrCreateEncryptionKeys(path, () => AT);
    const added = await addEncryptionKey(path, () => AT);
    const later = await addEncryptionKey(path, () => new Date('2027-01-02T03:04:05Z'));
    const { keys, stats } = readEncryptionKeysSync(path);
    expect(keys.map((k) => k.name)).toEqual(['key-20270102T030405Z', 'key-20261201T101500Z-2', 'key-20261201T101500Z']);
    expect(keys[0]?.secret.equals(later.secret)).toBe(true);
    expect(keys[1]?.secret.equals(added.secret)).toBe(true);
    expect(keys[2]?.secret.equals(first!.secret)).toBe(true);
    expect(stats.mode & 0o777).toBe(0o600);
  });

  it('refuses to invent a key file that is not there, pointing at --data-dir', async () => {
    const error = await rejectionOf(addEncryptionKey(path), FailedPreconditionError);
    expect(error.message).toContain(`${path}: no secrets encryption key file;`);
    expect(error.message).toContain('--data-dir');
  });
});
