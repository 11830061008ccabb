// Content-addressed storage on disk, under one root:
//
//   blobs/sha256/<hex>     every blob and manifest, exactly as fetched (verified)
//   layers/sha256/<hex>/   each layer blob unpacked, ready to be an overlayfs lowerdir
//   tmp/                   work space on the same filesystem, so renames are atomic
//
// A directory under layers/ exists only complete: it is unpacked into tmp/ and
// renamed into place. Within the process, concurrent requests for the same
// digest share one download and one unpack (a per-digest promise map); across
// processes the rename decides, and the loser discards its copy.
import { messageOf } from '@skiff/api/core';
import { writeFileAtomic } from '@skiff/api/atomic-file';
import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import { ImagePullError } from './errors.js';
import { digestHex, sha256Of, verifyBytes, type BlobExpectation } from './digest.js';
import { TarFormatError } from './tar-entries.js';
import { unpackTar, type UnpackOptions, type UnpackSummary } from './unpack-layer.js';

export interface LayerDescriptor extends BlobExpectation {
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry); checked when given. */
  readonly diffId?: string;
}

/** Writes the blob to `dest` atomically, verified against its digest and size (e.g. RegistryClient.downloadBlob). */
export type BlobFetcher = (dest: string) => Promise<void>;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function readMagic(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function startsWith(buffer: Buffer, magic: readonly number[]): boolean {
  return magic.every((byte, i) => buffer[i] === byte);
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

export class LayerStore {
  private readonly inflight = new Map<string, Promise<string | undefined>>();
  private prepared: Promise<void> | undefined;

  constructor(readonly root: string) {}

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  layerPath(digest: string): string {
    return join(this.root, 'layers', 'sha256', digestHex(digest));
  }

  hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  hasLayer(digest: string): Promise<boolean> {
    return exists(this.layerPath(digest));
  }

  /** Digests of the unpacked layers present. */
  async storedLayers(): Promise<string[]> {
    try {
      return (await readdir(join(this.root, 'layers', 'sha256'))).filter((name) => /^[a-f0-9]{64}$/.test(name)).map((hex) => `sha256:${hex}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  removeBlob(digest: string): Promise<void> {
    return rm(this.blobPath(digest), { force: true });
  }

  /**
   * Removes a layer's directory and blob. The directory is renamed into tmp/
   * first, so a removal cut short never leaves a partial layer that looks complete.
   */
  async removeLayer(digest: string): Promise<void> {
    const dir = this.layerPath(digest);
    if (await exists(dir)) {
      const doomed = join(await this.tempDir('gc-'), 'layer');
      await rename(dir, doomed);
      await rm(join(doomed, '..'), { recursive: true, force: true });
    }
    await this.removeBlob(digest);
  }

  /** A fresh directory under tmp/ (same filesystem as the store). The caller removes it. */
  async tempDir(prefix: string): Promise<string> {
    await this.prepare();
    return mkdtemp(join(this.root, 'tmp', prefix));
  }

  /**
   * A stored document (manifest, index, config), verified against its digest
   * on every read because it is trusted afterwards. Undefined when absent; a
   * corrupted copy is deleted and reported absent, so it is fetched again.
   */
  async readDocument(digest: string): Promise<Buffer | undefined> {
    const path = this.blobPath(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (sha256Of(bytes) !== digest) {
      await rm(path, { force: true });
      return undefined;
    }
    return bytes;
  }

  /** Stores bytes under their digest (verified first); a no-op if already present. */
  async putDocument(expected: BlobExpectation, bytes: Buffer, image: string): Promise<void> {
    verifyBytes(bytes, expected, image, `blob ${expected.digest}`);
    await this.prepare();
    const path = this.blobPath(expected.digest);
    if (await exists(path)) return;
    await writeFileAtomic(path, bytes);
  }

  /**
   * The path of blob `expected`, fetching it with `fetch` if absent; undefined
   * when absent and no fetcher is given (pull policy Never).
   */
  async ensureBlob(expected: BlobExpectation, fetch?: BlobFetcher): Promise<string | undefined> {
    const path = this.blobPath(expected.digest);
    if (await exists(path)) return path;
    if (!fetch) return undefined;
    return this.once(`blob ${expected.digest}`, async () => {
      if (await exists(path)) return path;
      await this.prepare();
      await fetch(path);
      return path;
    });
  }

  /**
   * The unpacked directory of `layer`, fetching its blob if needed; undefined
   * when neither the directory nor the blob is present and there is no
   * fetcher. Unpacks at most once per digest, into tmp/, then renames.
   */
  async ensureLayer(layer: LayerDescriptor, image: string, fetch?: BlobFetcher): Promise<string | undefined> {
    const dir = this.layerPath(layer.digest);
    if (await exists(dir)) return dir;
    return this.once(`layer ${layer.digest}`, async () => {
      if (await exists(dir)) return dir;
      const blob = await this.ensureBlob(layer, fetch);
      if (!blob) return undefined;
      const temp = await this.tempDir('layer-');
      try {
        const { diffId } = await this.unpackFile(blob, temp, { whiteouts: true }, image, `layer ${layer.digest}`);
        if (layer.diffId !== undefined && diffId !== layer.diffId) {
          throw new ImagePullError(
            'digest-mismatch',
            image,
            `layer ${layer.digest}: uncompressed content has digest ${diffId}, the image config says ${layer.diffId}`,
          );
        }
        try {
          await rename(temp, dir);
        } catch (error) {
          // Another process unpacked the same layer first: use its copy.
          const code = (error as NodeJS.ErrnoException).code;
          if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(dir))) {
            await rm(temp, { recursive: true, force: true });
            return dir;
          }
          throw error;
        }
        return dir;
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        throw error;
      }
    });
  }

  /**
   * Unpacks a tar file (gzip-compressed or not, by its magic bytes) into
   * `dest`; returns the digest of the uncompressed tar. Malformed or unsafe
   * archives fail as ImagePullError('invalid-image') naming `what`.
   */
  async unpackFile(
    path: string,
    dest: string,
    options: UnpackOptions,
    image: string,
    what: string,
  ): Promise<UnpackSummary & { diffId: string }> {
    const magic = await readMagic(path);
    if (startsWith(magic, ZSTD_MAGIC)) {
      throw new ImagePullError('unsupported', image, `${what} is zstd-compressed, which is not supported (gzip or plain tar only)`);
    }
    const file: ReadStream = createReadStream(path);
    let gunzip: Gunzip | undefined;
    let stream: AsyncIterable<Uint8Array> = file;
    if (startsWith(magic, GZIP_MAGIC)) {
      gunzip = createGunzip();
      const target = gunzip;
      file.once('error', (error) => target.destroy(error));
      // The consumer reads errors through its iterator; this listener only
      // keeps a late one (after the consumer gave up) from becoming uncaught.
      target.on('error', () => undefined);
      file.pipe(target);
      stream = target;
    }
    const hash = createHash('sha256');
    const hashed = (async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of stream) {
        hash.update(chunk);
        yield chunk;
      }
    })();
    try {
      const summary = await unpackTar(hashed, dest, options);
      return { ...summary, diffId: `sha256:${hash.digest('hex')}` };
    } catch (error) {
      if (error instanceof TarFormatError || isZlibError(error)) {
        throw new ImagePullError('invalid-image', image, `${what}: ${messageOf(error)}`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      file.destroy();
      gunzip?.destroy();
    }
  }

  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      for (const dir of [join('blobs', 'sha256'), join('layers', 'sha256'), 'tmp']) {
        await mkdir(join(this.root, dir), { recursive: true });
      }
    })();
    // A failed preparation (e.g. a transient EACCES) may be retried later.
    this.prepared.catch(() => {
      this.prepared = undefined;
    });
    return this.prepared;
  }

  private once(key: string, work: () => Promise<string | undefined>): Promise<string | undefined> {
    const running = this.inflight.get(key);
    if (running) return running;
    const started = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }
}
