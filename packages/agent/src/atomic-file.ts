// Replacing a file so that readers (and a restarted agent) see the old content
// or the new, never half of it: write a temporary file beside it, flush it,
// then rename over the target.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

export interface AtomicWriteOptions {
  readonly mode?: number;
  /** fsync before the rename, so the content survives a machine crash too (default true). */
  readonly durable?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      if (options.durable ?? true) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
