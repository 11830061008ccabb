// Replacing a file whole: readers (and a control plane restarted mid-write)
// see the old content or the new, never half of it. The content goes to a
// temporary file beside the target with its final mode, is flushed, then
// renamed over the target and the directory flushed. `exclusive` links it
// instead of renaming, so that of two processes creating the same file at
// once exactly one wins (EEXIST for the other).
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ReplaceFileOptions {
  readonly mode: number;
  /** Fail with EEXIST instead of replacing a file that is already there. */
  readonly exclusive?: boolean;
}

export async function replaceFile(path: string, content: string, options: ReplaceFileOptions): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', options.mode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) await link(temporary, path);
    else await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  // The new name must survive a crash too: a rotation rewrites Secrets under a key only this file holds.
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
