// A volumeMount's subPath, checked as kubelet checks it before the bind
// mount: relative, no ".." element, and — symlinks resolved — still inside
// the volume (a container could have planted `escape -> /` in an emptyDir).
// A directory that does not exist yet is made, one element at a time, each
// checked before the next is created, so nothing is ever made outside.
// Written by hand: the check is Kubernetes' (subpath_linux.go), on paths the
// agent itself resolves.
import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { runCommand } from '../runtime/run-command.js';
import { isMountPoint } from './tmpfs.js';

/** Linux's O_PATH (the same on x86-64 and arm64); Node does not name it. */
const O_PATH = 0o10000000;

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

/**
 * Binds the subPath at `path` onto `target` (a private path of the agent's) so
 * that what runc mounts is the checked inode, not whatever the path names by
 * then: the path is opened without following a final symlink, the open file's
 * own path (/proc/self/fd) is checked to be inside the volume, and the bind
 * mount is made from that descriptor (kubelet does the same, against a
 * container swapping a checked directory for a symlink before the mount).
 * A target already bound (a restarted container) is kept, as kubelet keeps it.
 */
export async function pinSubPath(volumeRoot: string, path: string, target: string): Promise<void> {
  if (await isMountPoint(target)) return;
  const root = await realpath(volumeRoot);
  const handle = await open(path, O_PATH | constants.O_NOFOLLOW);
  try {
    const actual = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!within(root, actual)) throw new SubPathError(`subpath ${JSON.stringify(actual)} not within volume path ${JSON.stringify(root)}`);
    const info = await handle.stat();
    // Only a symlink swapped in after resolveSubPath (which returns a path without any) ends here: never bind one.
    if (info.isSymbolicLink()) throw new SubPathError(`subpath ${JSON.stringify(actual)} changed into a symlink; not mounting it`);
    await mkdir(dirname(target), { recursive: true, mode: 0o750 });
    if (info.isDirectory()) await mkdir(target, { recursive: true, mode: 0o750 });
    else await writeFile(target, '', { flag: 'a', mode: 0o600 });
    // --no-canonicalize: mount(8) must hand the magic link to mount(2) as is, not the path it resolves to now.
    const result = await runCommand('mount', ['--no-canonicalize', '--bind', `/proc/${process.pid}/fd/${handle.fd}`, target]);
    if (result.code !== 0) throw new SubPathError(`binding subpath ${actual}: ${result.stderr.trim() || `exit ${String(result.code)}`}`);
  } finally {
    await handle.close();
  }
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
