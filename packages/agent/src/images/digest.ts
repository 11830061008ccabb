// Content addressing: every byte that enters the image store is checked
// against the digest and size it was announced with, while it streams, so a
// corrupted or substituted blob never lands under its digest's name.
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { ImagePullError } from './errors.js';

/** What a descriptor promises about a blob. */
export interface BlobExpectation {
  readonly digest: string;
  readonly size: number;
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;

export function isSha256Digest(value: string): boolean {
  return SHA256.test(value);
}

/** The hex part of a sha256 digest; throws on anything else (store paths are built from it). */
export function digestHex(digest: string): string {
  const match = SHA256.exec(digest);
  if (!match?.[1]) throw new Error(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return match[1];
}

export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Throws ImagePullError('digest-mismatch') unless `bytes` are what `expected` promises. */
export function verifyBytes(bytes: Uint8Array, expected: BlobExpectation, image: string, what: string): void {
  if (bytes.byteLength !== expected.size) {
    throw new ImagePullError(
      'digest-mismatch',
      image,
      `${what}: expected ${expected.size} bytes, got ${bytes.byteLength}`,
    );
  }
  const actual = sha256Of(bytes);
  if (actual !== expected.digest) {
    throw new ImagePullError('digest-mismatch', image, `${what}: expected ${expected.digest}, got ${actual}`);
  }
}

/** A sibling temp name: same directory, so the final rename is atomic. */
export function partialPath(dest: string): string {
  return `${dest}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
}

/**
 * Streams `source` into `dest`, hashing and counting as it goes. The data is
 * written to a temp file and renamed into place only once size and digest
 * match; on any failure (mismatch, a source error, a full disk) the temp file
 * is removed and nothing appears at `dest`. Too many bytes fail as soon as
 * they arrive rather than after the whole (possibly endless) stream.
 */
export async function writeVerified(
  source: AsyncIterable<Uint8Array>,
  expected: BlobExpectation,
  dest: string,
  image: string,
  what: string,
): Promise<void> {
  const temp = partialPath(dest);
  const handle = await open(temp, 'wx', 0o644);
  let closed = false;
  try {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > expected.size) {
        throw new ImagePullError('digest-mismatch', image, `${what}: more than the announced ${expected.size} bytes`);
      }
      hash.update(chunk);
      await handle.write(chunk);
    }
    if (size !== expected.size) {
      throw new ImagePullError('digest-mismatch', image, `${what}: expected ${expected.size} bytes, got ${size}`);
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== expected.digest) {
      throw new ImagePullError('digest-mismatch', image, `${what}: expected ${expected.digest}, got ${actual}`);
    }
    // Durable before it becomes visible: a crash must not leave a truncated
    // file under a digest name, which later reads would trust.
    await handle.sync();
    await handle.close();
    closed = true;
    await rename(temp, dest);
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}
