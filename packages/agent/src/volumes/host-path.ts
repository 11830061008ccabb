// hostPath volumes and their types, as kubelet checks them (hostpath.go):
// "" checks nothing; DirectoryOrCreate and FileOrCreate make what is missing
// (0755 directories, 0644 empty files, kubelet's modes); Directory, File,
// Socket, CharDevice and BlockDevice must already be that. Whether a
// namespace may use hostPath at all is the control plane's decision
// (--allow-host-path-namespaces), made when the pod is written.
import { lstat, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HostPathType } from '@skiff/api/core';

export class HostPathError extends Error {}

export async function checkHostPath(path: string, type: HostPathType | undefined): Promise<void> {
  const kind = type ?? '';
  if (kind === '') return;
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info && kind === 'DirectoryOrCreate') {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return;
  }
  if (!info && kind === 'FileOrCreate') {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await (await open(path, 'a', 0o644)).close();
    return;
  }
  const checks: Record<Exclude<HostPathType, ''>, [(s: Awaited<ReturnType<typeof lstat>>) => boolean, string]> = {
    DirectoryOrCreate: [(s) => s.isDirectory(), 'a directory'],
    Directory: [(s) => s.isDirectory(), 'a directory'],
    FileOrCreate: [(s) => s.isFile(), 'a file'],
    File: [(s) => s.isFile(), 'a file'],
    Socket: [(s) => s.isSocket(), 'a socket file'],
    CharDevice: [(s) => s.isCharacterDevice(), 'a character device'],
    BlockDevice: [(s) => s.isBlockDevice(), 'a block device'],
  };
  const [is, what] = checks[kind];
  if (!info) throw new HostPathError(`hostPath type check failed: ${path} does not exist (type ${kind} needs ${what})`);
  if (!is(info)) throw new HostPathError(`hostPath type check failed: ${path} is not ${what}`);
}
