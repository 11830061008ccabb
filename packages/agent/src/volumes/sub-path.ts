// A volumeMount's subPath, checked as kubelet checks it before the bind
// mount: relative, no ".." element, and — symlinks resolved — still inside
// the volume (a container could have planted `escape -> /` in an emptyDir).
// A directory that does not exist yet is made, one element at a time, each
// checked before the next is created, so nothing is ever made outside.
// Written by hand: the check is Kubernetes' (subpath_linux.go), on paths the
// agent itself resolves.
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

export class SubPathError extends Error {}

/** The host path of `subPath` inside the volume at `volumeRoot`, made as a directory if absent. */
export async function resolveSubPath(volumeRoot: string, subPath: string): Promise<string> {
  if (subPath.startsWith('/')) throw new SubPathError(`subPath ${JSON.stringify(subPath)} must be a relative path`);
  const segments = subPath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new SubPathError(`subPath ${JSON.stringify(subPath)} must not contain '..'`);
  const root = await realpath(volumeRoot);
  let current = root;
  for (const segment of segments) {
    const next = join(current, segment);
    if (!(await exists(next))) await mkdir(next, { mode: 0o755 });
    current = await realpath(next);
    if (!within(root, current)) throw new SubPathError(`subpath ${JSON.stringify(current)} not within volume path ${JSON.stringify(root)}`);
  }
  return current;
}

function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
