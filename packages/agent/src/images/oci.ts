// The OCI image-spec (and Docker v2 schema 2) documents we read: index,
// manifest and image config. Parsed by hand with checks, because they come
// from the network and a wrong shape must fail with a named field, not a
// TypeError deep inside the store.
import { isRecord, messageOf, type JsonRecord } from '@skiff/api/core';
import { arch, constants as osConstants } from 'node:os';
import type { ImageConfig } from './image-store.js';
import { ImagePullError } from './errors.js';
import { isSha256Digest } from './digest.js';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);

/** The Accept header for manifests: everything we can parse, index types first. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

/** Manifests and configs are small; anything larger is refused instead of buffered. */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly kind: 'index';
  readonly manifests: readonly Descriptor[];
}

export interface ImageManifest {
  readonly kind: 'manifest';
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ParsedImageConfig {
  readonly config: ImageConfig;
  /** sha256 of each layer's uncompressed tar, bottom first. */
  readonly diffIds: readonly string[];
}

/** GOARCH names, which is what images use ("x64" is Node's name for amd64). */
export function hostPlatform(): Platform {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: names[arch()] ?? arch() };
}

function invalid(image: string, what: string, why: string): ImagePullError {
  return new ImagePullError('invalid-image', image, `${what}: ${why}`);
}

function parseJson(bytes: Uint8Array, image: string, what: string): JsonRecord {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw invalid(image, what, `not valid JSON (${messageOf(error)})`);
  }
  if (!isRecord(value)) throw invalid(image, what, 'not a JSON object');
  return value;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  return out;
}

function parseDescriptor(value: unknown, image: string, what: string): Descriptor {
  if (!isRecord(value)) throw invalid(image, what, 'descriptor is not an object');
  const { mediaType, digest, size, platform } = value;
  if (typeof mediaType !== 'string') throw invalid(image, what, 'descriptor lacks mediaType');
  if (typeof digest !== 'string') throw invalid(image, what, 'descriptor lacks digest');
  if (!isSha256Digest(digest)) {
    throw new ImagePullError('unsupported', image, `${what}: digest ${JSON.stringify(digest)} is not sha256`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(image, what, `descriptor ${digest} has an invalid size`);
  }
  let parsedPlatform: Platform | undefined;
  if (isRecord(platform) && typeof platform['os'] === 'string' && typeof platform['architecture'] === 'string') {
    const variant = platform['variant'];
    parsedPlatform = {
      os: platform['os'],
      architecture: platform['architecture'],
      ...(typeof variant === 'string' ? { variant } : {}),
    };
  }
  return {
    mediaType,
    digest,
    size,
    ...(parsedPlatform ? { platform: parsedPlatform } : {}),
    annotations: stringMap(value['annotations']),
  };
}

/**
 * Parses a manifest or an index. `contentType` (from the HTTP response) wins
 * over the document's own mediaType; either may be absent (OCI makes the field
 * optional, and index.json in a layout often omits it), in which case the shape
 * decides.
 */
export function parseManifestDocument(
  bytes: Uint8Array,
  image: string,
  what: string,
  contentType?: string,
): ImageIndex | ImageManifest {
  const doc = parseJson(bytes, image, what);
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = header && header !== 'application/json' && header !== 'application/octet-stream' ? header : declared;
  if (doc['schemaVersion'] === 1 || mediaType === MEDIA_TYPES.dockerSchema1 || mediaType === MEDIA_TYPES.dockerSchema1Signed) {
    throw new ImagePullError('unsupported', image, `${what}: Docker schema 1 manifests are not supported`);
  }
  if (doc['schemaVersion'] !== 2) throw invalid(image, what, `unexpected schemaVersion ${JSON.stringify(doc['schemaVersion'])}`);

  const looksLikeIndex = Array.isArray(doc['manifests']);
  const isIndex = mediaType !== undefined ? INDEX_TYPES.has(mediaType) : looksLikeIndex;
  const isManifest = mediaType !== undefined ? MANIFEST_TYPES.has(mediaType) : !looksLikeIndex && isRecord(doc['config']);
  if (isIndex) {
    const manifests = doc['manifests'];
    if (!Array.isArray(manifests)) throw invalid(image, what, 'index lacks a manifests array');
    return {
      kind: 'index',
      manifests: manifests.map((item, i) => parseDescriptor(item, image, `${what} manifests[${i}]`)),
    };
  }
  if (isManifest) {
    const layers = doc['layers'];
    if (!Array.isArray(layers)) throw invalid(image, what, 'manifest lacks a layers array');
    return {
      kind: 'manifest',
      config: parseDescriptor(doc['config'], image, `${what} config`),
      layers: layers.map((item, i) => parseDescriptor(item, image, `${what} layers[${i}]`)),
    };
  }
  throw new ImagePullError('unsupported', image, `${what}: unsupported media type ${JSON.stringify(mediaType ?? '(none)')}`);
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64' };
const normalArch = (name: string): string => ARCH_ALIASES[name] ?? name;

function describePlatform(platform: Platform | undefined): string {
  if (!platform) return '(no platform)';
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}

/**
 * The index entry for `platform`: os and architecture must match; among those,
 * one with the wanted variant (or none) is preferred. An index with a single
 * entry that names no platform (common in OCI layouts) is taken as is.
 */
export function selectPlatform(index: ImageIndex, platform: Platform, image: string): Descriptor {
  const matching = index.manifests.filter(
    (entry) =>
      entry.platform !== undefined &&
      entry.platform.os === platform.os &&
      normalArch(entry.platform.architecture) === normalArch(platform.architecture),
  );
  const exact = matching.find((entry) => entry.platform?.variant === platform.variant);
  const chosen = exact ?? matching[0];
  if (chosen) return chosen;
  const [only] = index.manifests;
  if (index.manifests.length === 1 && only && only.platform === undefined) return only;
  const available = index.manifests.map((entry) => describePlatform(entry.platform)).join(', ') || 'none';
  throw new ImagePullError(
    'unsupported',
    image,
    `no manifest for ${describePlatform(platform)} in the index (available: ${available})`,
  );
}

function stringArray(value: unknown, image: string, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalid(image, 'image config', `${field} is not an array of strings`);
  }
  return value as string[];
}

/** Reads what a container needs from the image config blob; absent fields become empty. */
export function parseImageConfig(bytes: Uint8Array, image: string): ParsedImageConfig {
  const doc = parseJson(bytes, image, 'image config');
  const config = isRecord(doc['config']) ? doc['config'] : {};
  const rootfs = isRecord(doc['rootfs']) ? doc['rootfs'] : undefined;
  if (!rootfs) throw invalid(image, 'image config', 'lacks rootfs');
  const diffIds = stringArray(rootfs['diff_ids'], image, 'rootfs.diff_ids');
  for (const diffId of diffIds) {
    if (!isSha256Digest(diffId)) throw new ImagePullError('unsupported', image, `image config: diff_id ${diffId} is not sha256`);
  }
  const workingDir = config['WorkingDir'];
  const user = config['User'];
  const stopSignal = stopSignalOf(config['StopSignal']);
  return {
    config: {
      entrypoint: stringArray(config['Entrypoint'], image, 'config.Entrypoint'),
      cmd: stringArray(config['Cmd'], image, 'config.Cmd'),
      env: stringArray(config['Env'], image, 'config.Env'),
      ...(typeof workingDir === 'string' && workingDir.length > 0 ? { workingDir } : {}),
      ...(typeof user === 'string' && user.length > 0 ? { user } : {}),
      ...(stopSignal ? { stopSignal } : {}),
    },
    diffIds,
  };
}

/**
 * An image's StopSignal ("SIGQUIT", "QUIT" or a number, as Docker takes it) as
 * the signal's name; one this system does not know is ignored (SIGTERM, then).
 */
export function stopSignalOf(value: unknown): NodeJS.Signals | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim().toUpperCase();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    return (Object.entries(osConstants.signals) as [NodeJS.Signals, number][]).find(([, n]) => n === number)?.[0];
  }
  const name = (text.startsWith('SIG') ? text : `SIG${text}`) as NodeJS.Signals;
  return name in osConstants.signals ? name : undefined;
}

/** Throws 'unsupported' unless `descriptor` is a container image config (not, say, a Helm chart). */
export function assertContainerConfig(descriptor: Descriptor, image: string): void {
  if (!CONFIG_TYPES.has(descriptor.mediaType)) {
    throw new ImagePullError(
      'unsupported',
      image,
      `not a container image: config media type ${JSON.stringify(descriptor.mediaType)}`,
    );
  }
}
