// RegistryImageStore logic on synthetic OCI layouts (no registry needed): which
// image a layout entry names, platform selection through nested indexes,
// shared layers, and the checks that reject malformed or foreign images. The
// registry path is covered against a real registry in test/images/.
import { rejectionOf } from '@skiff/testkit';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Of } from './digest.js';
import { ImagePullError } from './errors.js';
import { ImageGarbageCollector } from './image-gc.js';
import { MEDIA_TYPES } from './oci.js';
import { RegistryImageStore } from './registry-image-store.js';
import { packTar } from './tar-entries.js';

const work = mkdtempSync(join(tmpdir(), 'skiff-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const AMD64 = { os: 'linux', architecture: 'amd64' } as const;
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** An OCI layout under construction: blobs are written as they are described. */
class Layout {
  readonly dir: string;
  constructor(name: string) {
    this.dir = join(work, name);
    mkdirSync(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }

  blob(mediaType: string, bytes: Buffer): Blob {
    const digest = sha256Of(bytes);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  json(mediaType: string, value: unknown): Blob {
    return this.blob(mediaType, Buffer.from(JSON.stringify(value)));
  }

  /** A layer from files { path: content }, and its diff_id. */
  async layer(files: Record<string, string>): Promise<{ blob: Blob; diffId: string }> {
    const tar = await packTar(Object.entries(files).map(([name, content]) => ({ name, mode: 0o644, content })));
    return { blob: this.blob(GZIP_LAYER, gzipSync(tar)), diffId: sha256Of(tar) };
  }

  image(layers: Array<{ blob: Blob; diffId: string }>, config: Record<string, unknown> = {}, configType: string = MEDIA_TYPES.ociConfig): Blob {
    const configBlob = this.json(configType, {
      architecture: 'amd64',
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    });
    return this.json(MEDIA_TYPES.ociManifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: configBlob,
      layers: layers.map((layer) => layer.blob),
    });
  }

  index(entries: Array<Blob & { annotations?: Record<string, string>; platform?: Record<string, string> }>): void {
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: entries }));
  }
}

const caught = (promise: Promise<unknown>): Promise<ImagePullError> => rejectionOf(promise, ImagePullError);

let stores = 0;
function store(now?: () => number): RegistryImageStore {
  stores += 1;
  return new RegistryImageStore({
    ...(now ? { now } : {}),
    root: join(work, `store-${stores}`),
    platform: AMD64,
    fetch: () => Promise.reject(new Error('no network in these tests')),
  });
}

describe('RegistryImageStore.loadArchive', () => {
  it('picks the image by its ref.name annotation and shares common layers', async () => {
    const layout = new Layout('two-tags');
    const base = await layout.layer({ 'base.txt': 'base' });
    const one = layout.image([base, await layout.layer({ 'one.txt': '1' })], { Cmd: ['one'], WorkingDir: '/w', User: '1000:1000' });
    const two = layout.image([base, await layout.layer({ 'two.txt': '2' })], { Entrypoint: ['/two'], Env: ['A=b'] });
    layout.index([
      { ...one, annotations: { 'org.opencontainers.image.ref.name': 'one' } },
      { ...two, annotations: { 'io.containerd.image.name': 'example.com/app:two' } },
    ]);
    const images = store();
    const first = await images.loadArchive(layout.dir, 'example.com/app:one');
    expect(first.digest).toBe(one.digest);
    expect(first.config).toEqual({ entrypoint: [], cmd: ['one'], env: [], workingDir: '/w', user: '1000:1000' });
    const second = await images.loadArchive(layout.dir, 'example.com/app:two');
    expect(second.digest).toBe(two.digest);
    expect(second.config).toEqual({ entrypoint: ['/two'], cmd: [], env: ['A=b'] });
    expect(first.layers[0]).toBe(second.layers[0]);
    expect(readdirSync(join(images.layers.root, 'layers', 'sha256'))).toHaveLength(3);
    expect(await images.ensure('example.com/app:one', 'Never')).toEqual(first);
    expect(await images.recordedDigest('example.com/app:two')).toBe(two.digest);

    const missing = await caught(images.loadArchive(layout.dir, 'example.com/app:three'));
    expect(missing.reason).toBe('not-found');
    expect(missing.message).toMatch(/has no image named three \(it has: one, example.com\/app:two\)/);
  });

  it('selects the platform through an index inside the layout', async () => {
    const layout = new Layout('multi-arch');
    const amd = layout.image([await layout.layer({ arch: 'amd64' })], { Cmd: ['amd64'] });
    const arm = layout.image([await layout.layer({ arch: 'arm64' })], { Cmd: ['arm64'] });
    const inner = layout.json(MEDIA_TYPES.ociIndex, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { ...arm, platform: { os: 'linux', architecture: 'arm64' } },
        { ...amd, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    });
    layout.index([{ ...inner, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }]);
    const images = store();
    const loaded = await images.loadArchive(layout.dir, 'multi:latest');
    expect(loaded.digest).toBe(amd.digest);
    expect(loaded.config.cmd).toEqual(['amd64']);
    expect(await images.recordedDigest('multi')).toBe(inner.digest);
  });

  it('rejects what is not a runnable, consistent image', async () => {
    const layout = new Layout('bad');
    const layer = await layout.layer({ a: 'a' });
    const chart = layout.image([layer], {}, 'application/vnd.cncf.helm.config.v1+json');
    const zstd = layout.image([{ blob: { ...layer.blob, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }, diffId: layer.diffId }]);
    const wrongDiff = layout.image([{ blob: layer.blob, diffId: sha256Of(Buffer.from('x')) }]);
    const manifestOnly = layout.json(MEDIA_TYPES.ociManifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: layout.json(MEDIA_TYPES.ociConfig, { rootfs: { type: 'layers', diff_ids: [] } }),
      layers: [layer.blob],
    });
    const lost = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Of(Buffer.from('lost')), size: 4 };
    layout.index([
      { ...chart, annotations: { 'org.opencontainers.image.ref.name': 'chart' } },
      { ...zstd, annotations: { 'org.opencontainers.image.ref.name': 'zstd' } },
      { ...wrongDiff, annotations: { 'org.opencontainers.image.ref.name': 'diff' } },
      { ...manifestOnly, annotations: { 'org.opencontainers.image.ref.name': 'count' } },
      { ...lost, annotations: { 'org.opencontainers.image.ref.name': 'lost' } },
    ]);
    const images = store();
    const cases: Array<[string, string, RegExp]> = [
      ['chart', 'unsupported', /not a container image: config media type "application\/vnd.cncf.helm.config.v1\+json"/],
      ['zstd', 'unsupported', /unsupported media type "application\/vnd.oci.image.layer.v1.tar\+zstd"/],
      ['diff', 'digest-mismatch', /uncompressed content has digest/],
      ['count', 'invalid-image', /1 layers but the config lists 0 diff_ids/],
      ['lost', 'invalid-image', /the archive lacks blob sha256:/],
    ];
    for (const [tag, reason, message] of cases) {
      const error = await caught(images.loadArchive(layout.dir, `bad:${tag}`));
      expect(error.reason, tag).toBe(reason);
      expect(error.message, tag).toMatch(message);
      expect(error.image, tag).toBe(`bad:${tag}`);
      expect(await images.recordedDigest(`bad:${tag}`), tag).toBeUndefined();
    }
  });

  it('verifies layout blobs against their digests', async () => {
    const layout = new Layout('tampered');
    const layer = await layout.layer({ a: 'a' });
    const manifest = layout.image([layer]);
    layout.index([manifest]);
    writeFileSync(join(layout.dir, 'blobs', 'sha256', layer.blob.digest.slice(7)), gzipSync(Buffer.from('not the layer')));
    const images = store();
    const error = await caught(images.loadArchive(layout.dir, 'tampered'));
    expect(error.reason).toBe('digest-mismatch');
    expect(await images.layers.hasBlob(layer.blob.digest)).toBe(false);
  });
});

describe('RegistryImageStore as the inventory of image GC', () => {
  it('records content and last use per image; GC removes the least recently used unused image and only its own layers', async () => {
    const layout = new Layout('gc');
    const base = await layout.layer({ 'base.txt': 'base' });
    const own = { one: await layout.layer({ 'one.txt': '1' }), two: await layout.layer({ 'two.txt': '2' }), three: await layout.layer({ 'three.txt': '3' }) };
    const manifests = {
      one: layout.image([base, own.one], { Cmd: ['one'] }),
      two: layout.image([base, own.two], { Cmd: ['two'] }),
      three: layout.image([base, own.three], { Cmd: ['three'] }),
    };
    layout.index(Object.entries(manifests).map(([tag, blob]) => ({ ...blob, annotations: { 'org.opencontainers.image.ref.name': tag } })));
    let clock = 1_000_000;
    const images = store(() => clock);
    for (const tag of ['one', 'two', 'three']) {
      await images.loadArchive(layout.dir, `example.com/app:${tag}`);
      clock += 120_000;
    }
    // Using "one" again makes "two" the least recently used.
    await images.ensure('example.com/app:one', 'Never');
    const stored = await images.storedImages();
    const one = stored.find((image) => image.digest === manifests.one.digest);
    expect(one?.references).toEqual(['example.com/app:one']);
    expect(one?.layers).toEqual([base.blob.digest, own.one.blob.digest]);
    expect(one?.blobs).toHaveLength(2); // manifest and config
    expect(one?.lastUsed).toBe(clock);

    // 22 % per unpacked layer: 4 layers are 88 %, above 85; one fewer is 66 %, under 80.
    const layersDir = join(images.layers.root, 'layers', 'sha256');
    const probe = () => Promise.resolve({ totalBytes: 100, availableBytes: 100 - 22 * readdirSync(layersDir).length });
    const gc = new ImageGarbageCollector({ inventory: images, probe, inUse: () => ['example.com/app:three'] });
    const result = await gc.collect();
    expect(result.removedImages).toEqual([manifests.two.digest]);
    expect(result.removedLayers).toEqual([own.two.blob.digest]);
    expect(readdirSync(layersDir).sort()).toEqual([base, own.one, own.three].map((layer) => layer.blob.digest.slice(7)).sort());
    expect(await images.layers.hasBlob(manifests.two.digest)).toBe(false);
    expect((await caught(images.ensure('example.com/app:two', 'Never'))).reason).toBe('not-present');
    expect((await images.ensure('example.com/app:one', 'Never')).config.cmd).toEqual(['one']);
  });
});
