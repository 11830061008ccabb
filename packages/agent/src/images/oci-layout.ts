// OCI image layouts (a directory with oci-layout, index.json and blobs/) as a
// source of image content: which entry a reference names, and its blobs,
// verified like registry content.
import { isRecord } from '@skiff/api/core';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, verifyBytes, writeVerified, type BlobExpectation } from './digest.js';
import { ImagePullError } from './errors.js';
import { canonicalReference, type ImageReference } from './image-reference.js';
import { parseManifestDocument, type Descriptor, type ImageIndex } from './oci.js';

/** Where the content of one image comes from while it is materialised. */
export interface ContentSource {
  /** A manifest or index by digest, verified. */
  manifest(descriptor: { digest: string; size?: number }): Promise<Buffer>;
  /** The image config blob, verified. */
  config(descriptor: BlobExpectation): Promise<Buffer>;
  /** A layer blob written verified to `dest`. */
  layer(descriptor: BlobExpectation, dest: string): Promise<void>;
}

/** OCI layout annotations naming an image: the tag (skopeo, buildah) or the full name (containerd). */
const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/** The layout's image `ref` names: the entry whose name annotation matches its tag or full name, or the only entry. */
export async function chooseLayoutEntry(layoutDir: string, path: string, ref: ImageReference, image: string): Promise<Descriptor> {
  const notLayout = (why: string): ImagePullError =>
    new ImagePullError('invalid-image', image, `${path} is not an OCI image layout: ${why}`);
  let layout: unknown;
  try {
    layout = JSON.parse(await readFile(join(layoutDir, 'oci-layout'), 'utf8'));
  } catch {
    throw notLayout('no readable oci-layout file');
  }
  if (!isRecord(layout) || typeof layout['imageLayoutVersion'] !== 'string') {
    throw notLayout('oci-layout has no imageLayoutVersion');
  }
  let indexBytes: Buffer;
  try {
    indexBytes = await readFile(join(layoutDir, 'index.json'));
  } catch {
    throw notLayout('no index.json');
  }
  const index = parseManifestDocument(indexBytes, image, `${path} index.json`);
  if (index.kind !== 'index') throw notLayout('index.json is not an image index');
  return chooseByName(index, ref, image, path);
}

function chooseByName(index: ImageIndex, ref: ImageReference, image: string, path: string): Descriptor {
  const tagged = ref.tag !== undefined ? `${ref.domain}/${ref.repository}:${ref.tag}` : undefined;
  const names = new Set<string>([ref.original, canonicalReference(ref)]);
  if (ref.tag !== undefined) {
    names.add(ref.tag);
    names.add(`${ref.repository}:${ref.tag}`);
  }
  if (tagged) names.add(tagged);
  const matches = index.manifests.filter((entry) => {
    if (ref.digest !== undefined && entry.digest === ref.digest) return true;
    const name = entry.annotations[REF_NAME];
    const full = entry.annotations[CONTAINERD_NAME];
    return (name !== undefined && names.has(name)) || (full !== undefined && names.has(full));
  });
  const [first] = matches;
  if (first) return first;
  const [only] = index.manifests;
  if (index.manifests.length === 1 && only) return only;
  const available = index.manifests.map((entry) => entry.annotations[REF_NAME] ?? entry.annotations[CONTAINERD_NAME] ?? entry.digest);
  throw new ImagePullError(
    'not-found',
    image,
    `${path} has no image named ${ref.tag ?? ref.digest ?? ref.original} (it has: ${available.join(', ') || 'nothing'})`,
  );
}

/** Blobs of an OCI layout: blobs/sha256/<hex>, verified like registry content. */
export function layoutSource(layoutDir: string, image: string): ContentSource {
  const blobFile = (digest: string): string => join(layoutDir, 'blobs', 'sha256', digestHex(digest));
  const missing = (digest: string, error: unknown): ImagePullError =>
    new ImagePullError('invalid-image', image, `the archive lacks blob ${digest}`, { cause: error });
  const readVerified = async (descriptor: { digest: string; size?: number }): Promise<Buffer> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(blobFile(descriptor.digest));
    } catch (error) {
      throw missing(descriptor.digest, error);
    }
    verifyBytes(bytes, { digest: descriptor.digest, size: descriptor.size ?? bytes.length }, image, `blob ${descriptor.digest}`);
    return bytes;
  };
  return {
    manifest: readVerified,
    config: readVerified,
    layer: async (descriptor, dest) => {
      const file = blobFile(descriptor.digest);
      try {
        await stat(file);
      } catch (error) {
        throw missing(descriptor.digest, error);
      }
      await writeVerified(createReadStream(file), descriptor, dest, image, `blob ${descriptor.digest}`);
    },
  };
}
