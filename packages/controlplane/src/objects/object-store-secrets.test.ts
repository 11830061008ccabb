// ObjectStore with Secrets encrypted at rest, on MemoryStore: what the store
// holds, and that every way of reading (get, list, watch) decrypts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, kindInfo, type ConfigMap, type Secret } from '@skiff/api';
import { rejectionOf, waitFor } from '@skiff/testkit';
import { MemoryStore } from '../store/index.js';
import { EncryptedSecretCodec, encryptionKeyNameOf } from './encrypted-secret-codec.js';
import { objectKey } from './object-keys.js';
import { ObjectStore, type ObjectEvent } from './object-store.js';
import { SECRETS_KEY_FILE } from './secret-encryption-keys.js';

const SECRET = kindInfo('Secret');
const CONFIG_MAP = kindInfo('ConfigMap');
const SOON = { timeoutMs: 5_000, intervalMs: 5 };
const VALUE = 'correct-horse-battery-staple';

function secret(name: string, value = VALUE, namespace = 'shop'): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid: `uid-${name}` },
    type: 'Opaque',
    data: { password: Buffer.from(value).toString('base64') },
  };
}

/** Fails when the raw stored value shows the plaintext, as text or as the base64 the object carries. */
function expectSealed(raw: string, value = VALUE): void {
  expect(raw.startsWith('skiff:enc:aesgcm:v1:')).toBe(true);
  expect(raw).not.toContain(value);
  expect(raw).not.toContain(Buffer.from(value).toString('base64'));
  expect(raw).not.toContain('password');
}

let dir: string;
let store: MemoryStore;
let codec: EncryptedSecretCodec;
let objects: ObjectStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-objects-'));
  store = new MemoryStore();
  codec = await EncryptedSecretCodec.open(join(dir, SECRETS_KEY_FILE));
  objects = new ObjectStore(store, { secrets: codec });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const raw = async (name: string, namespace = 'shop'): Promise<string> =>
  (await store.get(objectKey(SECRET, namespace, name)))?.value ?? '';

describe('ObjectStore with an EncryptedSecretCodec', () => {
  it('stores Secrets sealed on create, update and updateMany, and reads them back by get and list', async () => {
    const created = await objects.create(SECRET, secret('db'));
    expectSealed(await raw('db'));
    expect(await objects.get(SECRET, 'shop', 'db')).toEqual(created);

    const updated = await objects.update(SECRET, secret('db', 'second-value'), Number(created.metadata.resourceVersion));
    expectSealed(await raw('db'), 'second-value');
    expect((await objects.mustGet<Secret>(SECRET, 'shop', 'db')).data).toEqual(updated.data);

    const api = await objects.create(SECRET, secret('api'));
    await objects.updateMany(SECRET, [{ object: secret('api', 'third-value'), expectedRevision: Number(api.metadata.resourceVersion) }]);
    expectSealed(await raw('api'), 'third-value');

    const listed = await objects.list<Secret>(SECRET, undefined);
    expect(listed.items.map((s) => [s.metadata.name, Buffer.from(s.data?.['password'] ?? '', 'base64').toString()])).toEqual([
      ['api', 'third-value'],
      ['db', 'second-value'],
    ]);
  });

  it('leaves other kinds as plain JSON', async () => {
    const configMap: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop' }, data: { k: VALUE } };
    await objects.create(CONFIG_MAP, configMap);
    expect(JSON.parse((await store.get(objectKey(CONFIG_MAP, 'shop', 'cfg')))?.value ?? '')).toMatchObject({ data: { k: VALUE } });
  });

  it('decrypts what watches deliver: adds, updates with their previous object, deletes', async () => {
    const events: ObjectEvent[] = [];
    const handle = objects.watch(SECRET, 'shop', await store.currentRevision(), {
      onEvent: (e) => events.push(e),
      onCompacted() {},
      onError() {},
    });
    const created = await objects.create(SECRET, secret('db'));
    const updated = await objects.update(SECRET, secret('db', 'second-value'), Number(created.metadata.resourceVersion));
    await objects.delete(SECRET, 'shop', 'db', Number(updated.metadata.resourceVersion));
    await waitFor(() => events.length === 3, { ...SOON, description: 'three events' });
    await handle.close();
    const password = (object: unknown): string => Buffer.from((object as Secret).data?.['password'] ?? '', 'base64').toString();
    expect(events.map((e) => [e.type, password(e.object), e.previous ? password(e.previous) : undefined])).toEqual([
      ['ADDED', VALUE, undefined],
      ['MODIFIED', 'second-value', VALUE],
      ['DELETED', 'second-value', undefined],
    ]);
  });

  it('reads Secrets stored before encryption, and seals them when next written', async () => {
    const legacy = secret('old');
    await store.create(objectKey(SECRET, 'shop', 'old'), JSON.stringify(legacy));
    const read = await objects.mustGet<Secret>(SECRET, 'shop', 'old');
    expect(read.data).toEqual(legacy.data);
    await objects.update(SECRET, read, Number(read.metadata.resourceVersion));
    expectSealed(await raw('old'));
    expect(encryptionKeyNameOf(await raw('old'))).toBe(codec.currentKeyName);
  });

  it('names the Secret it cannot read, on get, list and watch, without its value', async () => {
    await objects.create(SECRET, secret('db'));
    const key = objectKey(SECRET, 'shop', 'db');
    const sealed = await raw('db');
    // The same ciphertext under another object's key must not read as that object.
    await store.create(objectKey(SECRET, 'shop', 'copy'), sealed);
    const copied = await rejectionOf(objects.get(SECRET, 'shop', 'copy'), FailedPreconditionError);
    expect(copied.message).toMatch(/^secrets "copy" in namespace "shop": its stored value does not decrypt with key "key-[^"]+": it was altered/);
    const listed = await rejectionOf(objects.list(SECRET, 'shop'), FailedPreconditionError);
    expect(listed.message).toContain('secrets "copy" in namespace "shop": ');

    const errors: Error[] = [];
    const events: ObjectEvent[] = [];
    const handle = objects.watch(SECRET, 'shop', await store.currentRevision(), {
      onEvent: (e) => events.push(e),
      onCompacted() {},
      onError: (e) => errors.push(e),
    });
    const current = await store.get(key);
    await store.update(key, `${sealed.slice(0, -8)}AAAAAAA=`, current?.modRevision ?? 0);
    await waitFor(() => errors.length > 0, { ...SOON, description: 'the watch to fail' });
    await handle.close();
    expect(events).toEqual([]);
    expect(errors[0]?.message).toMatch(/^secrets "db" in namespace "shop": its stored value does not decrypt/);
    for (const message of [copied.message, errors[0]?.message ?? '']) {
      expect(message).not.toContain(VALUE);
      expect(message).not.toContain(Buffer.from(VALUE).toString('base64'));
    }
  });

  it('refuses to read sealed Secrets without the key file, saying so', async () => {
    await objects.create(SECRET, secret('db'));
    const error = await rejectionOf(new ObjectStore(store).get(SECRET, 'shop', 'db'), FailedPreconditionError);
    expect(error.message).toBe(
      'secrets "db" in namespace "shop" is encrypted at rest, but this control plane was started without its secrets encryption key file',
    );
  });

  it('answers stored values that are not JSON without quoting them', async () => {
    await store.create(objectKey(SECRET, 'shop', 'junk'), `x${VALUE}`);
    const error = await rejectionOf(objects.get(SECRET, 'shop', 'junk'), FailedPreconditionError);
    expect(error.message).toBe('secrets "junk" in namespace "shop": its stored value is not valid JSON; delete and re-create it');
  });
});
