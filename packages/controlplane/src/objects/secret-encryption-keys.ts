// The key file of Secret encryption at rest, after Kubernetes'
// EncryptionConfiguration (aesgcm provider), simplified to one ordered list:
//   {"keys":[{"name":"key-20261201T101500Z","secret":"<base64 of 32 random bytes>"}]}
// The first key encrypts; every key decrypts, so a rotation puts a fresh key
// first and values written under the older ones stay readable until rewritten.
// The file lives in the control plane's data dir (0700) with mode 0600.
// Errors name the file and the field, never key material.
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FailedPreconditionError, InvalidError, isRecord } from '@skiff/api';
import { writeFileAtomic } from '@skiff/api';

/** The key file's name in the control plane's data dir. */
export const SECRETS_KEY_FILE = 'secrets-encryption.json';

/** AES-256. */
export const ENCRYPTION_KEY_BYTES = 32;

export interface EncryptionKey {
  /** Recorded in every value it encrypts. */
  readonly name: string;
  /** A KeyObject, so that printing or logging it never shows the bytes. */
  readonly secret: KeyObject;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HOW_TO_GENERATE = 'e.g. the output of `head -c 32 /dev/urandom | base64`';

/**
 * Reads the key file, or creates it with one fresh key when it does not exist
 * yet (its directory 0700, the file 0600, written atomically). Refuses a
 * malformed file or one that others may read.
 */
export async function loadOrCreateEncryptionKeys(path: string, now: () => Date = () => new Date()): Promise<EncryptionKey[]> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const stats = await stat(path);
      return parseKeyFile(path, stats, await readFile(path, 'utf8'));
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    const keys = [newEncryptionKey(now(), [])];
    try {
      await writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, exclusive: true, syncDirectory: true });
      return keys;
    } catch (error) {
      // Another process created it first: use theirs, so both encrypt alike.
      if (!isErrno(error, 'EEXIST')) throw error;
    }
  }
}

/**
 * The key file as it is now, read synchronously: a running control plane
 * re-reads it when a rotation may have changed it, on paths that cannot wait.
 * `stats` are taken before the read, so a change during it is seen next time.
 */
export function readEncryptionKeysSync(path: string): { keys: EncryptionKey[]; stats: Stats } {
  const stats = statKeyFileSync(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw missingKeyFile(path);
    throw error;
  }
  return { keys: parseKeyFile(path, stats, text), stats };
}

/** The key file's stats, to see whether it changed since it was read. */
export function statKeyFileSync(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw missingKeyFile(path);
    throw error;
  }
}

/**
 * Puts a fresh key first in an existing key file (replaced atomically) and
 * returns it: from now on it encrypts, and the older keys still decrypt.
 */
export async function addEncryptionKey(path: string, now: () => Date = () => new Date()): Promise<EncryptionKey> {
  let current: EncryptionKey[];
  try {
    current = parseKeyFile(path, await stat(path), await readFile(path, 'utf8'));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw missingKeyFile(path);
    throw error;
  }
  const key = newEncryptionKey(now(), current.map((k) => k.name));
  await writeFileAtomic(path, formatKeyFile([key, ...current]), { mode: 0o600, syncDirectory: true });
  return key;
}

/** A fresh random key named after the time (`key-20261201T101500Z`), unlike any of `taken`. */
function newEncryptionKey(at: Date, taken: readonly string[]): EncryptionKey {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  let name = `key-${stamp}`;
  for (let n = 2; taken.includes(name); n++) name = `key-${stamp}-${n}`;
  return { name, secret: createSecretKey(randomBytes(ENCRYPTION_KEY_BYTES)) };
}

function formatKeyFile(keys: readonly EncryptionKey[]): string {
  const entries = keys.map((key) => ({ name: key.name, secret: key.secret.export().toString('base64') }));
  return `${JSON.stringify({ keys: entries }, null, 2)}\n`;
}

function parseKeyFile(path: string, stats: Stats, text: string): EncryptionKey[] {
  // Others must not read what decrypts every Secret (as ssh refuses a private key others can read).
  if ((stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new FailedPreconditionError(
      `${path}: the secrets encryption key file must be readable by its owner only, but its mode is ${mode}; run chmod 600 ${path}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the fault: key material.
    throw invalidKeyFile(path, ['is not valid JSON']);
  }
  const problems: string[] = [];
  const keys: EncryptionKey[] = [];
  if (!isRecord(doc)) throw invalidKeyFile(path, ['must be a JSON object with a "keys" list']);
  for (const field of Object.keys(doc)) if (field !== 'keys') problems.push(`${field}: unknown field (the file holds only "keys")`);
  const entries = doc['keys'];
  if (!Array.isArray(entries) || entries.length === 0) {
    problems.push('keys: must list at least one key; the first encrypts, all decrypt');
  } else {
    entries.forEach((entry, i) => {
      const key = parseKey(entry, `keys[${i}]`, problems);
      if (!key) return;
      const earlier = keys.findIndex((k) => k.name === key.name);
      if (earlier >= 0) problems.push(`keys[${i}].name: "${key.name}" is also the name of keys[${earlier}]; names must be unique`);
      else keys.push(key);
    });
  }
  if (problems.length > 0) throw invalidKeyFile(path, problems);
  return keys;
}

function parseKey(entry: unknown, at: string, problems: string[]): EncryptionKey | undefined {
  if (!isRecord(entry)) {
    problems.push(`${at}: must be an object with "name" and "secret"`);
    return undefined;
  }
  const before = problems.length;
  for (const field of Object.keys(entry)) {
    if (field !== 'name' && field !== 'secret') problems.push(`${at}.${field}: unknown field (a key has only "name" and "secret")`);
  }
  const { name, secret } = entry;
  if (typeof name !== 'string' || !KEY_NAME.test(name)) {
    const shown = typeof name === 'string' ? `, not ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)}` : '';
    problems.push(`${at}.name: must be 1 to 63 characters (A-Z, a-z, 0-9, ".", "_" and "-"), starting alphanumeric${shown}`);
  }
  // Never quote the secret, not even a wrong one.
  const bytes = typeof secret === 'string' && BASE64.test(secret) ? Buffer.from(secret, 'base64') : undefined;
  if (!bytes) {
    problems.push(`${at}.secret: must be base64 of ${ENCRYPTION_KEY_BYTES} random bytes, ${HOW_TO_GENERATE}`);
  } else if (bytes.length !== ENCRYPTION_KEY_BYTES) {
    problems.push(`${at}.secret: must be ${ENCRYPTION_KEY_BYTES} bytes (AES-256) once decoded, not ${bytes.length}; ${HOW_TO_GENERATE}`);
  }
  if (problems.length > before || !bytes || typeof name !== 'string') return undefined;
  return { name, secret: createSecretKey(bytes) };
}

function invalidKeyFile(path: string, problems: readonly string[]): InvalidError {
  return new InvalidError(`${path} is not a valid secrets encryption key file: ${problems.join('; ')}`, problems);
}

function missingKeyFile(path: string): FailedPreconditionError {
  return new FailedPreconditionError(
    `${path}: no secrets encryption key file; the control plane creates it at first start in its --data-dir (check that this is the same directory)`,
  );
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
