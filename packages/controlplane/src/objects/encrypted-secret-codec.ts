// Secrets encrypted at rest. A Secret's stored JSON becomes
//   skiff:enc:aesgcm:v1:<key name>:<base64(12-byte random nonce ‖ ciphertext ‖ 16-byte tag)>
// under AES-256-GCM, with the object's storage key as additional
// authenticated data: a value altered, or copied under another object's key,
// fails to decrypt instead of reading as some other Secret. Values from
// before encryption (plain JSON) still read, and are encrypted when next written.
//
// The key file (secret-encryption-keys.ts) may change under a running control
// plane when `skiff-controlplane rotate-secrets-key` runs: a value under a key
// this codec does not hold makes it re-read the file once, and writes check
// the file's identity at most once a second so they move to the new first key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { FailedPreconditionError, InvalidError } from '@skiff/api';
import { loadOrCreateEncryptionKeys, readEncryptionKeysSync, statKeyFileSync, type EncryptionKey } from './secret-encryption-keys.js';

/** Turns a Secret's JSON into what is stored and back; `storageKey` is the object's key in the store. */
export interface SecretTransformer {
  toStorage(plaintext: string, storageKey: string): string;
  /** Plain JSON (a value from before encryption) comes back unchanged. */
  fromStorage(stored: string, storageKey: string): string;
}

const ENCRYPTED = 'skiff:enc:';
const AESGCM_V1 = `${ENCRYPTED}aesgcm:v1:`;
const CIPHER = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** How often, at most, writes look whether the key file changed. */
export const KEY_FILE_CHECK_INTERVAL_MS = 1000;

/** Whether a stored value is encrypted (by any provider); plain JSON is not. */
export function isEncryptedValue(stored: string): boolean {
  return stored.startsWith(ENCRYPTED);
}

/** The name of the key an encrypted value was written under; undefined for plain JSON or another format. */
export function encryptionKeyNameOf(stored: string): string | undefined {
  if (!stored.startsWith(AESGCM_V1)) return undefined;
  const end = stored.indexOf(':', AESGCM_V1.length);
  return end < 0 ? undefined : stored.slice(AESGCM_V1.length, end);
}

export interface EncryptedSecretCodecOptions {
  /** Milliseconds since the epoch; paces the key file checks. */
  readonly now?: () => number;
}

export class EncryptedSecretCodec implements SecretTransformer {
  private keys: EncryptionKey[] = [];
  private fileIdentity = '';
  private checkedAt: number;
  private readonly now: () => number;

  /** Reads the key file, creating it with one fresh key at first start. */
  static async open(keyFilePath: string, options: EncryptedSecretCodecOptions = {}): Promise<EncryptedSecretCodec> {
    await loadOrCreateEncryptionKeys(keyFilePath);
    return new EncryptedSecretCodec(keyFilePath, options);
  }

  private constructor(
    readonly keyFilePath: string,
    options: EncryptedSecretCodecOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.reload();
    this.checkedAt = this.now();
  }

  /** The key new values are encrypted under. */
  get currentKeyName(): string {
    return this.currentKey().name;
  }

  toStorage(plaintext: string, storageKey: string): string {
    if (this.now() - this.checkedAt >= KEY_FILE_CHECK_INTERVAL_MS) {
      if (identityOf(statKeyFileSync(this.keyFilePath)) !== this.fileIdentity) this.reload();
      this.checkedAt = this.now(); // only once the file read well: until then every write fails, saying why
    }
    const key = this.currentKey();
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(CIPHER, key.secret, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(storageKey));
    const sealed = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${AESGCM_V1}${key.name}:${sealed.toString('base64')}`;
  }

  fromStorage(stored: string, storageKey: string): string {
    if (!isEncryptedValue(stored)) return stored;
    const name = encryptionKeyNameOf(stored);
    if (name === undefined) {
      const format = stored.slice(0, Math.min(stored.length, AESGCM_V1.length + 8)).split(':').slice(0, 4).join(':');
      throw new FailedPreconditionError(
        `its stored value is in a format this control plane cannot read ("${format}…"; it reads ${AESGCM_V1}<key>:…); upgrade the control plane, or delete and re-create the Secret`,
      );
    }
    const key = this.keyNamed(name);
    const sealed = Buffer.from(stored.slice(AESGCM_V1.length + name.length + 1), 'base64');
    try {
      if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new RangeError('shorter than a nonce and a tag');
      const decipher = createDecipheriv(CIPHER, key.secret, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(storageKey));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const body = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
      return Buffer.concat([body, decipher.final()]).toString('utf8');
    } catch {
      // Nothing of the value, nor of the cipher's state, goes into the message.
      throw new FailedPreconditionError(
        `its stored value does not decrypt with key "${name}": it was altered, or copied from another object; restore it from a backup, or delete and re-create the Secret`,
      );
    }
  }

  private currentKey(): EncryptionKey {
    const [first] = this.keys;
    if (!first) throw new FailedPreconditionError(`${this.keyFilePath} holds no key`); // the parser refuses such a file
    return first;
  }

  /** A key by name, re-reading the file once when it is not known: a rotation may have just added it. */
  private keyNamed(name: string): EncryptionKey {
    const known = this.keys.find((k) => k.name === name);
    if (known) return known;
    this.reload();
    const added = this.keys.find((k) => k.name === name);
    if (added) return added;
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    throw new FailedPreconditionError(
      `its stored value is encrypted under key "${shown}", which ${this.keyFilePath} does not hold (it holds ${this.keys.map((k) => `"${k.name}"`).join(', ')}); put that key back into the file after the first one`,
    );
  }

  private reload(): void {
    let read: ReturnType<typeof readEncryptionKeysSync>;
    try {
      read = readEncryptionKeysSync(this.keyFilePath);
    } catch (error) {
      // A request cannot fix the key file: not the caller's invalid argument, but the server's precondition.
      if (error instanceof InvalidError) throw new FailedPreconditionError(error.message);
      throw error;
    }
    this.keys = read.keys;
    this.fileIdentity = identityOf(read.stats);
  }
}

/** A replaced file (rename) has another inode; an edited one another mtime or size. */
function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.mtimeMs}:${stats.size}`;
}
