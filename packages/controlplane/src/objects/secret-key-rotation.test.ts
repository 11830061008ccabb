import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, kindInfo, type Secret } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { MemoryStore } from '../store/index.js';
import { EncryptedSecretCodec, encryptionKeyNameOf } from './encrypted-secret-codec.js';
import { kindPrefix, objectKey } from './object-keys.js';
import { ObjectStore } from './object-store.js';
import { readEncryptionKeysSync, SECRETS_KEY_FILE } from './secret-encryption-keys.js';
import { rotateSecretsKey } from './secret-key-rotation.js';

const SECRET = kindInfo('Secret');

/** A store that lets a test act just before (or after) the rotation's next compare-and-swap. */
class InterferingStore extends MemoryStore {
  before?: (key: string) => Promise<void>;
  after?: (key: string) => Promise<void>;

  override async update(key: string, value: string, expectedRevision: number, options?: { lease?: string }): Promise<number> {
    const before = this.before;
    this.before = undefined;
    await before?.(key);
    const revision = await super.update(key, value, expectedRevision, options);
    await this.after?.(key);
    return revision;
  }
}

function opaque(name: string, password: string): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, type: 'Opaque', data: { password: Buffer.from(password).toString('base64') } };
}

const passwordOf = (secret: Secret | undefined): string => Buffer.from(secret?.data?.['password'] ?? '', 'base64').toString();

let dir: string;
let keyFilePath: string;
let store: InterferingStore;
/** A control plane that was running before the rotation; its clock never moves, so it keeps writing under the old key. */
let running: ObjectStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-rotation-'));
  keyFilePath = join(dir, SECRETS_KEY_FILE);
  store = new InterferingStore();
  running = new ObjectStore(store, { secrets: await EncryptedSecretCodec.open(keyFilePath, { now: () => 0 }) });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function storedKeyNames(): Promise<(string | undefined)[]> {
  return (await store.list(kindPrefix(SECRET))).items.map((kv) => encryptionKeyNameOf(kv.value));
}

describe('rotateSecretsKey', () => {
  it('re-encrypts every Secret, plaintext ones included, under a new first key that running control planes read', async () => {
    const [oldKey] = readEncryptionKeysSync(keyFilePath).keys;
    for (const name of ['a', 'b', 'c']) await running.create(SECRET, opaque(name, `value-${name}`));
    await store.create(objectKey(SECRET, 'shop', 'legacy'), JSON.stringify(opaque('legacy', 'value-legacy')));
    expect(await storedKeyNames()).toEqual([oldKey?.name, oldKey?.name, oldKey?.name, undefined]);

    const result = await rotateSecretsKey({ store, keyFilePath, settleMs: 0 });

    const keys = readEncryptionKeysSync(keyFilePath).keys.map((k) => k.name);
    expect(keys).toEqual([result.keyName, oldKey?.name]);
    expect(result.rewritten).toBe(4);
    expect(await storedKeyNames()).toEqual([result.keyName, result.keyName, result.keyName, result.keyName]);
    const read = await running.list<Secret>(SECRET, 'shop');
    expect(read.items.map((s) => [s.metadata.name, passwordOf(s)])).toEqual([
      ['a', 'value-a'],
      ['b', 'value-b'],
      ['c', 'value-c'],
      ['legacy', 'value-legacy'],
    ]);
  });

  it('loses no concurrent write: a Secret changed under the old key meanwhile is read again and rewritten', async () => {
    const created = await running.create(SECRET, opaque('db', 'first'));
    store.before = async () => {
      await running.update(SECRET, opaque('db', 'changed meanwhile'), Number(created.metadata.resourceVersion));
    };
    const result = await rotateSecretsKey({ store, keyFilePath, settleMs: 0 });
    expect(result.rewritten).toBe(1);
    expect(await storedKeyNames()).toEqual([result.keyName]);
    expect(passwordOf(await running.get<Secret>(SECRET, 'shop', 'db'))).toBe('changed meanwhile');
  });

  it('does not count a Secret deleted meanwhile', async () => {
    const created = await running.create(SECRET, opaque('gone', 'x'));
    await running.create(SECRET, opaque('kept', 'y'));
    store.before = async () => {
      await running.delete(SECRET, 'shop', 'gone', Number(created.metadata.resourceVersion));
    };
    const result = await rotateSecretsKey({ store, keyFilePath, settleMs: 0 });
    expect(result.rewritten).toBe(1);
    expect(await storedKeyNames()).toEqual([result.keyName]);
  });

  it('gives up, saying why, when a control plane keeps writing under an older key', async () => {
    let n = 0;
    store.after = async () => {
      n++;
      await running.create(SECRET, opaque(`late-${n}`, 'z'));
    };
    await running.create(SECRET, opaque('first', 'x'));
    const error = await rejectionOf(rotateSecretsKey({ store, keyFilePath, settleMs: 0 }), FailedPreconditionError);
    expect(error.message).toContain('Secrets are still being written under an older key after 5 rewriting passes (5 rewritten under "key-');
    expect(error.message).toContain(`a control plane does not read ${keyFilePath}`);
  });
});
