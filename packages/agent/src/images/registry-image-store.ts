// The agent's ImageStore: images from OCI registries (or OCI archives), kept
// in a LayerStore, with small records of which manifest each tag last
// resolved to (so IfNotPresent and Never work without the network) and when
// each image was last used; it is the inventory image GC works on (image-gc.ts).
import { messageOf } from '@skiff/api/core';
import pLimit from 'p-limit';
import type { Stats } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { ImagePullError } from './errors.js';
import type { BlobFetcher } from './layer-store.js';
import type { ImageInventory, StoredImage } from './image-gc.js';
import { ImageRecords } from './image-records.js';
import { canonicalReference, parseImageReference, type ImageReference } from './image-reference.js';
import type { EnsureOptions, ImageStore, PullPolicy, ResolvedImage } from './image-store.js';
import { LayerStore } from './layer-store.js';
import { chooseLayoutEntry, layoutSource, type ContentSource } from './oci-layout.js';
import {
  assertContainerConfig,
  hostPlatform,
  parseImageConfig,
  parseManifestDocument,
  selectPlatform,
  type Platform,
} from './oci.js';
import type { CredentialsLookup } from './registry-auth.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

export interface RegistryImageStoreOptions
  extends Pick<RegistryClientOptions, 'credentials' | 'platform' | 'fetch' | 'requestTimeoutMs' | 'blobIdleTimeoutMs'> {
  /** Store directory (blobs, unpacked layers, reference records). */
  readonly root: string;
  /** Extra plain-HTTP registries ("host" or "host:port"); loopback registries always are. */
  readonly insecureRegistries?: readonly string[];
  /** Layers fetched and unpacked at once per image (default 3). */
  readonly layerConcurrency?: number;
  /** Called after each successful pull from a registry (the agent checks the image disk then). */
  readonly onPulled?: (image: string) => void;
  /** Milliseconds since the epoch (default Date.now), for last-use records. */
  readonly now?: () => number;
}

const MAX_INDEX_DEPTH = 3;
const LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);
export class RegistryImageStore implements ImageStore, ImageInventory {
  /** References resolved by this process, for the start path's hot loop, with the digest they are recorded under. */
  private readonly resolved = new Map<string, { image: ResolvedImage; top: string }>();
  readonly layers: LayerStore;
  private readonly records: ImageRecords;
  private readonly client: RegistryClient;
  private readonly platform: Platform;
  private readonly layerConcurrency: number;
  private readonly onPulled: ((image: string) => void) | undefined;
  private credentialedPulls = 0;
  private readonly now: () => number;
  /** Pulls in flight by canonical reference, so concurrent ensure() calls share one. */
  private readonly pulls = new Map<string, { readonly startedAt: number; readonly done: Promise<{ image: ResolvedImage; top: string }> }>();

  constructor(options: RegistryImageStoreOptions) {
    this.layers = new LayerStore(options.root);
    this.records = new ImageRecords(options.root, options.now);
    this.onPulled = options.onPulled;
    this.now = options.now ?? Date.now;
    this.platform = options.platform ?? hostPlatform();
    this.layerConcurrency = Math.max(1, options.layerConcurrency ?? 3);
    this.client = new RegistryClient({ ...options, platform: this.platform });
  }

  async ensure(reference: string, policy: PullPolicy, options: EnsureOptions = {}): Promise<ResolvedImage> {
    const calledAt = this.now();
    const ref = parseImageReference(reference);
    const key = canonicalReference(ref);
    switch (policy) {
      case 'Always':
        break;
      case 'IfNotPresent':
      case 'Never': {
        // Layers are content-addressed and never change once unpacked: a
        // reference resolved once stays resolved (until an Always pull moves it).
        const known = this.resolved.get(key);
        if (known) return this.used(known, reference);
        const local = await this.resolveLocal(ref, reference, key);
        if (local) {
          this.resolved.set(key, local);
          return this.used(local, reference);
        }
        if (policy === 'Never') {
          throw new ImagePullError(
            'not-present',
            reference,
            `${key} is not in the local image store and the pull policy is Never`,
          );
        }
        break;
      }
      default:
        throw new Error(`unknown pull policy ${JSON.stringify(policy as string)}`);
    }
    options.progress?.pulling();
    const { startedAt, done } = this.pullShared(ref, reference, key, options.credentials);
    const pulled = await done;
    const finishedAt = this.now();
    options.progress?.pulled({
      pullMs: finishedAt - Math.max(startedAt, calledAt),
      totalMs: finishedAt - calledAt,
      sizeBytes: pulled.image.sizeBytes ?? 0,
    });
    this.resolved.set(key, pulled);
    return this.used(pulled, reference);
  }

  async storedImages(): Promise<StoredImage[]> {
    const references = new Map<string, string[]>();
    for (const [key, digest] of Object.entries(await this.records.references())) {
      references.set(digest, [...(references.get(digest) ?? []), key]);
    }
    const lastUse = await this.records.lastUse();
    const images: StoredImage[] = [];
    for (const [digest, keys] of references) {
      images.push({ digest, references: keys, ...(await this.contentOf(digest)), lastUsed: lastUse.get(digest) ?? 0 });
    }
    return images;
  }

  storedLayers(): Promise<string[]> {
    return this.layers.storedLayers();
  }

  pulling(): boolean {
    return this.pulls.size > 0;
  }

  async removeImage(digest: string): Promise<void> {
    await this.records.forget(digest);
    for (const [key, known] of this.resolved) if (known.top === digest) this.resolved.delete(key);
  }

  removeBlob(digest: string): Promise<void> {
    return this.layers.removeBlob(digest);
  }

  removeLayer(digest: string): Promise<void> {
    return this.layers.removeLayer(digest);
  }

  /** `resolved` as the caller spelled it, its use recorded. */
  private async used(resolved: { image: ResolvedImage; top: string }, reference: string): Promise<ResolvedImage> {
    await this.records.touch(resolved.top);
    return resolved.image.reference === reference ? resolved.image : { ...resolved.image, reference };
  }

  /** The documents and layers the image `top` needs, as far as its stored documents tell. */
  private async contentOf(top: string): Promise<{ blobs: string[]; layers: string[] }> {
    const blobs: string[] = [];
    let current = top;
    for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
      const bytes = await this.layers.readDocument(current);
      if (!bytes) break;
      blobs.push(current);
      let parsed;
      try {
        parsed = parseManifestDocument(bytes, top, `manifest ${current}`);
        if (parsed.kind === 'index') {
          current = selectPlatform(parsed, this.platform, top).digest;
          continue;
        }
      } catch {
        break; // unreadable: what it would name stays unclaimed
      }
      blobs.push(parsed.config.digest);
      return { blobs, layers: parsed.layers.map((layer) => layer.digest) };
    }
    return { blobs, layers: [] };
  }

  /**
   * Imports an image from an OCI image layout (a directory with oci-layout,
   * index.json and blobs/), or a tar archive of one, and records it under
   * `reference`, so ensure(reference, 'IfNotPresent' | 'Never') finds it
   * without a registry. The layout's image is the index entry whose name
   * annotation matches the reference's tag or full name, or the only entry.
   */
  async loadArchive(path: string, reference: string): Promise<ResolvedImage> {
    const ref = parseImageReference(reference);
    const key = canonicalReference(ref);
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      throw new ImagePullError('not-found', reference, `archive ${path} cannot be read: ${messageOf(error)}`, { cause: error });
    }
    let layoutDir = path;
    let temp: string | undefined;
    try {
      if (!stats.isDirectory()) {
        temp = await this.layers.tempDir('archive-');
        await this.layers.unpackFile(path, temp, { whiteouts: false, preserveOwnership: false }, reference, `archive ${path}`);
        layoutDir = temp;
      }
      const top = await chooseLayoutEntry(layoutDir, path, ref, reference);
      const image = await this.materialize(reference, top, layoutSource(layoutDir, reference));
      if (!image) throw new Error('materialize returned nothing although a source was given');
      await this.records.record(key, top.digest);
      this.resolved.set(key, { image, top: top.digest });
      await this.records.touch(top.digest);
      return image;
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true });
    }
  }

  /** The manifest digest `reference` is recorded under locally, if any. */
  async recordedDigest(reference: string): Promise<string | undefined> {
    const records = await this.records.references();
    return records[canonicalReference(parseImageReference(reference))];
  }

  private async resolveLocal(ref: ImageReference, image: string, key: string): Promise<{ image: ResolvedImage; top: string } | undefined> {
    const digest = ref.digest ?? (await this.records.references())[key];
    if (!digest) return undefined;
    const resolved = await this.materialize(image, { digest }, undefined);
    return resolved ? { image: resolved, top: digest } : undefined;
  }

  private pullShared(
    ref: ImageReference,
    image: string,
    key: string,
    credentials: CredentialsLookup | undefined,
  ): { readonly startedAt: number; readonly done: Promise<{ image: ResolvedImage; top: string }> } {
    // Pulls with a pod's credentials are that pod's own: another pod shares no pull it may not make.
    const client = credentials ? this.client.withCredentials(credentials) : this.client;
    const pullKey = credentials ? `${key} ${++this.credentialedPulls}` : key;
    let pull = this.pulls.get(pullKey);
    if (!pull) {
      const done = this.pull(client, ref, image, key).finally(() => {
        this.pulls.delete(pullKey);
      });
      pull = { startedAt: this.now(), done };
      this.pulls.set(pullKey, pull);
      void done.then(() => this.onPulled?.(image), () => undefined);
    }
    return pull;
  }

  private async pull(client: RegistryClient, ref: ImageReference, image: string, key: string): Promise<{ image: ResolvedImage; top: string }> {
    const resolved = await client.resolve(ref, image);
    for (const document of resolved.documents) {
      await this.layers.putDocument({ digest: document.digest, size: document.bytes.length }, document.bytes, image);
    }
    const result = await this.materialize(image, { digest: resolved.topDigest }, registrySource(client, ref, image));
    if (!result) throw new Error('materialize returned nothing although a source was given');
    await this.records.record(key, resolved.topDigest);
    return { image: result, top: resolved.topDigest };
  }

  /**
   * Builds the ResolvedImage for the document `top` (index or manifest):
   * documents come from the store, or from `source` (then stored); layers are
   * unpacked once. Without a source, anything missing yields undefined.
   */
  private async materialize(
    image: string,
    top: { digest: string; size?: number },
    source: ContentSource | undefined,
  ): Promise<ResolvedImage | undefined> {
    let current: { digest: string; size?: number } = top;
    for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
      const bytes = await this.document(current, image, (descriptor) => source?.manifest(descriptor));
      if (!bytes) return undefined;
      const parsed = parseManifestDocument(bytes, image, `manifest ${current.digest}`);
      if (parsed.kind === 'index') {
        current = selectPlatform(parsed, this.platform, image);
        continue;
      }
      assertContainerConfig(parsed.config, image);
      for (const layer of parsed.layers) {
        if (!LAYER_MEDIA_TYPES.has(layer.mediaType)) {
          throw new ImagePullError('unsupported', image, `layer ${layer.digest} has unsupported media type ${JSON.stringify(layer.mediaType)}`);
        }
      }
      const configBytes = await this.document(parsed.config, image, (descriptor) =>
        source?.config({ digest: descriptor.digest, size: descriptor.size ?? parsed.config.size }),
      );
      if (!configBytes) return undefined;
      const { config, diffIds } = parseImageConfig(configBytes, image);
      if (diffIds.length !== parsed.layers.length) {
        throw new ImagePullError(
          'invalid-image',
          image,
          `the manifest has ${parsed.layers.length} layers but the config lists ${diffIds.length} diff_ids`,
        );
      }
      const dirs = await pLimit(this.layerConcurrency).map(parsed.layers, (layer, index) => {
        const fetcher: BlobFetcher | undefined = source ? (dest) => source.layer(layer, dest) : undefined;
        const diffId = diffIds[index];
        return this.layers.ensureLayer({ digest: layer.digest, size: layer.size, ...(diffId ? { diffId } : {}) }, image, fetcher);
      });
      const present = dirs.filter((dir): dir is string => dir !== undefined);
      if (present.length !== dirs.length) return undefined;
      const sizeBytes = bytes.length + parsed.config.size + parsed.layers.reduce((sum, layer) => sum + layer.size, 0);
      return { reference: image, digest: current.digest, config, layers: present, sizeBytes };
    }
    throw new ImagePullError('invalid-image', image, `indexes nested more than ${MAX_INDEX_DEPTH} deep`);
  }

  /** A document from the store, or fetched (verified) and stored. */
  private async document(
    descriptor: { digest: string; size?: number },
    image: string,
    fetch: (descriptor: { digest: string; size?: number }) => Promise<Buffer> | undefined,
  ): Promise<Buffer | undefined> {
    const local = await this.layers.readDocument(descriptor.digest);
    if (local) return local;
    const fetched = fetch(descriptor);
    if (!fetched) return undefined;
    const bytes = await fetched;
    await this.layers.putDocument({ digest: descriptor.digest, size: bytes.length }, bytes, image);
    return bytes;
  }
}

function registrySource(client: RegistryClient, ref: ImageReference, image: string): ContentSource {
  return {
    manifest: async (descriptor) => (await client.fetchManifest(ref, descriptor.digest, image)).bytes,
    config: (descriptor) => client.fetchBlobBytes(ref, descriptor, image),
    layer: (descriptor, dest) => client.downloadBlob(ref, descriptor, dest, image),
  };
}
