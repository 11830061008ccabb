// RegistryImageStore against the real registry (docker-registry) with the
// busybox test image pushed by skopeo: pull, re-use, policies, tampering, and
// loading the same image from its OCI layout without any registry.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePullError, RegistryImageStore, registryGet, type RegistryFetch } from '@skiff/agent';
import { BUSYBOX_INDEX_HTML, buildBusyboxImage, startRegistry, type BusyboxImage, type RunningRegistry, rejectionOf } from '@skiff/testkit';

let registry: RunningRegistry | undefined;
let image: BusyboxImage | undefined;
const work = mkdtempSync(join(tmpdir(), 'skiff-images-'));

beforeAll(async () => {
  registry = await startRegistry();
  image = await buildBusyboxImage(join(work, 'layout'), registry.address);
});

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

function setup(): { registry: RunningRegistry; image: BusyboxImage; reference: string } {
  if (!registry || !image?.reference) throw new Error('beforeAll did not finish');
  return { registry, image, reference: image.reference };
}

let roots = 0;
function freshRoot(): string {
  roots += 1;
  return join(work, `store-${roots}`);
}

/** The store's own HTTP client, recording each URL it is asked for. */
function recordingFetch(log: string[]): RegistryFetch {
  return (input, init) => {
    log.push(String(input));
    return registryGet(input, init);
  };
}

/** A client that fails the test if anything tries the network. */
const noNetwork: RegistryFetch = (input) => {
  throw new Error(`unexpected request to ${String(input)}`);
};

const caught = (promise: Promise<unknown>): Promise<ImagePullError> => rejectionOf(promise, ImagePullError);

function expectBusyboxRootfs(layer: string): void {
  const busybox = join(layer, 'bin', 'busybox');
  expect(statSync(busybox).mode & 0o777).toBe(0o755);
  expect(readlinkSync(join(layer, 'bin', 'sh'))).toBe('busybox');
  expect(readFileSync(join(layer, 'www', 'index.html'), 'utf8')).toBe(BUSYBOX_INDEX_HTML);
  expect(readFileSync(join(layer, 'etc', 'passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
  expect(statSync(join(layer, 'tmp')).mode & 0o7777).toBe(0o1777);
  // The unpacked binary is intact: it runs.
  expect(execFileSync(busybox, ['echo', 'ok'], { encoding: 'utf8' })).toBe('ok\n');
}

describe('RegistryImageStore with a real registry', () => {
  it('pulls the image, then serves it from the store without downloading again', async () => {
    const { image, reference } = setup();
    const root = freshRoot();
    const requests: string[] = [];
    const store = new RegistryImageStore({ root, fetch: recordingFetch(requests) });

    const pulled = await store.ensure(reference, 'IfNotPresent');
    expect(pulled.reference).toBe(reference);
    expect(pulled.digest).toBe(image.digest);
    expect(pulled.config).toEqual({ entrypoint: [], cmd: ['/bin/sh'], env: ['PATH=/bin'] });
    expect(pulled.layers).toHaveLength(1);
    const [layer] = pulled.layers;
    if (!layer) throw new Error('no layer');
    expectBusyboxRootfs(layer);
    expect(requests.filter((url) => url.includes('/blobs/'))).toHaveLength(2); // config + layer
    const blobFiles = readdirSync(join(root, 'blobs', 'sha256'));
    const mtimes = blobFiles.map((name) => statSync(join(root, 'blobs', 'sha256', name)).mtimeMs);
    const layerInode = statSync(layer).ino;

    // IfNotPresent again, and after a restart (a new store on the same root): no requests at all.
    requests.length = 0;
    expect(await store.ensure(reference, 'IfNotPresent')).toEqual(pulled);
    const restarted = new RegistryImageStore({ root, fetch: recordingFetch(requests) });
    expect(await restarted.ensure(reference, 'IfNotPresent')).toEqual(pulled);
    expect(await new RegistryImageStore({ root, fetch: noNetwork }).ensure(reference, 'Never')).toEqual(pulled);
    expect(requests).toEqual([]);

    // Always asks the registry for the manifest again, but downloads no blob it has.
    expect(await restarted.ensure(reference, 'Always')).toEqual(pulled);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((url) => url.includes('/manifests/'))).toBe(true);
    expect(readdirSync(join(root, 'blobs', 'sha256')).map((name) => statSync(join(root, 'blobs', 'sha256', name)).mtimeMs)).toEqual(mtimes);
    expect(statSync(layer).ino).toBe(layerInode);

    // Pinning the digest finds the same image, locally.
    const pinned = `${reference.replace(/:latest$/, '')}@${image.digest}`;
    requests.length = 0;
    expect((await restarted.ensure(pinned, 'IfNotPresent')).layers).toEqual(pulled.layers);
    expect(requests).toEqual([]);
  });

  it("tells its progress (kubelet's Pulling and Pulled): a pull with its time and the image's size, nothing when present", async () => {
    const { reference } = setup();
    const root = freshRoot();
    let now = 1_000;
    const told: string[] = [];
    const progress = {
      pulling: () => void told.push('pulling'),
      pulled: (result: { pullMs: number; totalMs: number; sizeBytes: number }) => void told.push(`pulled ${JSON.stringify(result)}`),
    };
    const store = new RegistryImageStore({ root, now: () => (now += 100) });
    const pulled = await store.ensure(reference, 'IfNotPresent', { progress });
    const blobs = readdirSync(join(root, 'blobs', 'sha256')).reduce((sum, name) => sum + statSync(join(root, 'blobs', 'sha256', name)).size, 0);
    // Manifest, config and layer: the blobs the store keeps for it.
    expect(pulled.sizeBytes).toBe(blobs);
    expect(told).toHaveLength(2);
    expect(told[0]).toBe('pulling');
    const result = JSON.parse((told[1] ?? '').slice('pulled '.length)) as { pullMs: number; totalMs: number; sizeBytes: number };
    expect(result.sizeBytes).toBe(blobs);
    expect(result.pullMs).toBeGreaterThan(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.pullMs);
    told.length = 0;
    await store.ensure(reference, 'IfNotPresent', { progress });
    expect(told).toEqual([]);
    await store.ensure(reference, 'Always', { progress });
    expect(told.map((line) => line.split(' ')[0])).toEqual(['pulling', 'pulled']);
  });

  it('shares one download and one unpack between concurrent pulls of the same image', async () => {
    const { reference } = setup();
    const requests: string[] = [];
    const store = new RegistryImageStore({ root: freshRoot(), fetch: recordingFetch(requests) });
    const results = await Promise.all([
      store.ensure(reference, 'IfNotPresent'),
      store.ensure(reference, 'Always'),
      store.ensure(reference, 'IfNotPresent'),
      store.ensure(reference.replace(/:latest$/, ''), 'IfNotPresent'),
    ]);
    expect(new Set(results.map((result) => result.layers.join()))).toHaveProperty('size', 1);
    expect(requests.filter((url) => url.includes('/blobs/'))).toHaveLength(2);
    expect(readdirSync(join(store.layers.root, 'tmp'))).toEqual([]);
  });

  it('fails clearly for an image that is absent locally (Never) or in the registry', async () => {
    const { registry } = setup();
    const store = new RegistryImageStore({ root: freshRoot() });
    const unknown = `${registry.address}/skiff/nothing:latest`;
    const never = await caught(store.ensure(unknown, 'Never'));
    expect(never.reason).toBe('not-present');
    expect(never.message).toBe(
      `failed to pull image "${unknown}": image not present locally: ${unknown} is not in the local image store and the pull policy is Never`,
    );
    const missing = await caught(store.ensure(unknown, 'IfNotPresent'));
    expect(missing.reason).toBe('not-found');
    expect(missing.message).toContain(`"${unknown}"`);
    expect(missing.message).toMatch(/NAME_UNKNOWN|MANIFEST_UNKNOWN/);
    expect((await caught(store.ensure('Not A Reference', 'IfNotPresent'))).reason).toBe('invalid-reference');
  });

  it('refuses a blob the registry serves corrupted, keeping nothing of it', async () => {
    const { registry, reference } = setup();
    const manifestStore = new RegistryImageStore({ root: freshRoot() });
    const [layer] = (await manifestStore.ensure(reference, 'IfNotPresent')).layers;
    const layerDigest = `sha256:${layer?.split('/').pop() ?? ''}`;
    const hex = layerDigest.slice('sha256:'.length);
    const data = join(registry.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const original = readFileSync(data);
    const tampered = Buffer.from(original);
    tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 0x5a;
    writeFileSync(data, tampered);
    try {
      const store = new RegistryImageStore({ root: freshRoot() });
      const error = await caught(store.ensure(reference, 'IfNotPresent'));
      expect(error.reason).toBe('digest-mismatch');
      expect(error.image).toBe(reference);
      expect(error.message).toContain(`blob ${layerDigest}: expected ${layerDigest}, got sha256:`);
      expect(await store.layers.hasBlob(layerDigest)).toBe(false);
      expect(await store.layers.hasLayer(layerDigest)).toBe(false);
      expect(readdirSync(join(store.layers.root, 'blobs', 'sha256')).some((name) => name.startsWith(hex))).toBe(false);
      expect(readdirSync(join(store.layers.root, 'tmp'))).toEqual([]);
      // Never must not treat the failed pull as present.
      expect((await caught(store.ensure(reference, 'Never'))).reason).toBe('not-present');
    } finally {
      writeFileSync(data, original);
    }
  });

  it('loads the image from its OCI layout, or a tar of it, without a registry', async () => {
    const { image } = setup();
    const name = 'skiff/busybox:latest';
    const fromDir = new RegistryImageStore({ root: freshRoot(), fetch: noNetwork });
    const loaded = await fromDir.loadArchive(image.layoutDir, name);
    expect(loaded.digest).toBe(image.digest);
    expect(loaded.reference).toBe(name);
    expect(loaded.config.cmd).toEqual(['/bin/sh']);
    const [layer] = loaded.layers;
    if (!layer) throw new Error('no layer');
    expectBusyboxRootfs(layer);
    expect(await fromDir.ensure(name, 'Never')).toEqual(loaded);
    expect(await fromDir.ensure('docker.io/skiff/busybox', 'IfNotPresent')).toEqual({ ...loaded, reference: 'docker.io/skiff/busybox' });

    const tarball = join(work, 'busybox-layout.tar');
    execFileSync('tar', ['-c', '-f', tarball, '-C', image.layoutDir, '.']);
    const fromTar = new RegistryImageStore({ root: freshRoot(), fetch: noNetwork });
    const fromTarLoaded = await fromTar.loadArchive(tarball, 'localhost:5999/busybox:test');
    expect(fromTarLoaded.digest).toBe(image.digest);
    expectBusyboxRootfs(fromTarLoaded.layers[0] ?? '');
    expect(readdirSync(join(fromTar.layers.root, 'tmp'))).toEqual([]);

    const notLayout = await caught(fromTar.loadArchive(join(work, 'store-1'), name));
    expect(notLayout.reason).toBe('invalid-image');
    expect(notLayout.message).toMatch(/is not an OCI image layout: no readable oci-layout file/);
    expect((await caught(fromTar.loadArchive(join(work, 'missing.tar'), name))).reason).toBe('not-found');
    expect(existsSync(join(work, 'missing.tar'))).toBe(false);
    expect(lstatSync(image.layoutDir).isDirectory()).toBe(true);
  });
});
