// Secrets at rest on a real etcd, read back raw: sealed when written through
// ObjectStore, all under the new key after `rotate-secrets-key`, and a
// tampered value refused clearly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailedPreconditionError, kindInfo, type Secret } from '@skiff/api';
import { rejectionOf, startEtcd, type EtcdServer } from '@skiff/testkit';
import { EncryptedSecretCodec, encryptionKeyNameOf } from '../objects/encrypted-secret-codec.js';
import { kindPrefix, objectKey } from '../objects/object-keys.js';
import { ObjectStore } from '../objects/object-store.js';
import { SECRETS_KEY_FILE, readEncryptionKeysSync } from '../objects/secret-encryption-keys.js';
import { EtcdStore } from '../store/index.js';
import { runRotateSecretsKey } from './rotate-secrets-key.js';

const SECRET = kindInfo('Secret');
const VALUES: Record<string, string> = { db: 'db-password-4f1c9a', api: 'api-token-77e2b0', tls: 'tls-private-key-0d3e55' };

function secretNamed(name: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'shop', uid: `uid-${name}` },
    type: 'Opaque',
    data: { value: Buffer.from(VALUES[name] ?? name).toString('base64') },
  };
}

function capture(): { write(text: string): void; text: () => string } {
  let out = '';
  return { write: (text) => void (out += text), text: () => out };
}

let etcd: EtcdServer;
let store: EtcdStore;
let dataDir: string;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-rotate-'));
});

afterAll(async () => {
  await store?.close();
  await etcd?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function rawValues(): Promise<Map<string, string>> {
  const { items } = await store.list(kindPrefix(SECRET));
  return new Map(items.map((kv) => [kv.key, kv.value]));
}

describe('rotate-secrets-key on etcd', () => {
  it('explains its flags, and refuses a data dir without a key file', async () => {
    const usage = capture();
    expect(await runRotateSecretsKey(['--bogus'], { stdout: capture(), stderr: usage })).toBe(2);
    expect(usage.text()).toContain("skiff-controlplane rotate-secrets-key: Unknown option '--bogus'");
    expect(usage.text()).toContain('usage: skiff-controlplane rotate-secrets-key [--data-dir DIR] [--etcd URLS]');

    const stderr = capture();
    const empty = join(dataDir, 'empty');
    expect(await runRotateSecretsKey(['--data-dir', empty, '--etcd', etcd.endpoint], { stdout: capture(), stderr })).toBe(1);
    expect(stderr.text()).toContain(`${join(empty, SECRETS_KEY_FILE)}: no secrets encryption key file;`);
  });

  it('keeps every Secret sealed in etcd, before and after rotation, and refuses a tampered one', async () => {
    const keyFile = join(dataDir, SECRETS_KEY_FILE);
    const objects = new ObjectStore(store, { secrets: await EncryptedSecretCodec.open(keyFile) });
    const [oldKey] = readEncryptionKeysSync(keyFile).keys;
    for (const name of Object.keys(VALUES)) await objects.create(SECRET, secretNamed(name));
    // One from before encryption existed.
    await store.create(objectKey(SECRET, 'shop', 'legacy'), JSON.stringify(secretNamed('legacy')));

    const expectSealed = (values: Map<string, string>, keyName: string | undefined): void => {
      for (const [name, value] of Object.entries(VALUES)) {
        const stored = values.get(objectKey(SECRET, 'shop', name)) ?? '';
        expect(encryptionKeyNameOf(stored)).toBe(keyName);
        for (const raw of values.values()) {
          expect(raw).not.toContain(value);
          expect(raw).not.toContain(Buffer.from(value).toString('base64'));
        }
      }
    };
    expectSealed(await rawValues(), oldKey?.name);
    expect((await objects.mustGet<Secret>(SECRET, 'shop', 'db')).data).toEqual(secretNamed('db').data);

    const stdout = capture();
    const stderr = capture();
    expect(await runRotateSecretsKey(['--data-dir', dataDir, '--etcd', etcd.endpoint], { stdout, stderr })).toBe(0);
    expect(stderr.text()).toBe('');
    const newKey = readEncryptionKeysSync(keyFile).keys[0]?.name;
    expect(newKey).not.toBe(oldKey?.name);
    expect(stdout.text()).toBe(`rotated: 4 secrets now under key ${newKey}\n`);

    const after = await rawValues();
    expect([...after.values()].map(encryptionKeyNameOf)).toEqual([newKey, newKey, newKey, newKey]);
    expectSealed(after, newKey);
    // The store that was open before the rotation reads the new key's values (it re-reads the key file).
    const read = await objects.list<Secret>(SECRET, 'shop');
    expect(read.items.map((s) => [s.metadata.name, s.data])).toEqual(
      ['api', 'db', 'legacy', 'tls'].map((name) => [name, secretNamed(name).data]),
    );

    const key = objectKey(SECRET, 'shop', 'db');
    const current = await store.get(key);
    const stored = current?.value ?? '';
    const cut = stored.lastIndexOf(':') + 1;
    const sealed = Buffer.from(stored.slice(cut), 'base64');
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 0xff;
    await store.update(key, `${stored.slice(0, cut)}${sealed.toString('base64')}`, current?.modRevision ?? 0);
    const error = await rejectionOf(objects.get(SECRET, 'shop', 'db'), FailedPreconditionError);
    expect(error.message).toBe(
      `secrets "db" in namespace "shop": its stored value does not decrypt with key "${newKey}": it was altered, or copied from another object; restore it from a backup, or delete and re-create the Secret`,
    );
  });
});
