// Replacing a file so that readers (and a process restarted mid-write) see the
// old content or the new, never half of it: a temporary file beside the
// target, created exclusively with the final mode, flushed, then renamed over
// the target (or, with `exclusive`, linked, so that of two processes creating
// the same file exactly one wins with EEXIST for the other). The one writer of
// such files for every Skiff process; it imports nothing of Skiff, so the
// per-container shim can load it alone (`@skiff/api/atomic-file`).
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** The file's exact mode (not filtered by the umask); default 0644. */
  readonly mode?: number;
  /** fsync the content before the rename, so it survives a machine crash too (default true). */
  readonly durable?: boolean;
  /** Also fsync the directory, so the new name survives a crash (keys, credentials). */
  readonly syncDirectory?: boolean;
  /** Fail with EEXIST instead of replacing a file that is already there. */
  readonly exclusive?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o644;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.partial`);
  // A rename takes the temporary's name away: only a link, or a failure, leaves it to remove.
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      // open's mode is filtered by the umask; set it exactly.
      await handle.chmod(mode);
      await handle.writeFile(data);
      if (options.durable ?? true) await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) await link(temp, path);
    else {
      await rename(temp, path);
      renamed = true;
    }
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
  if (options.syncDirectory) {
    const directory = await open(dirname(path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
