// tmpfs mounts on the host for the volumes kubelet keeps in memory: emptyDir
// with medium Memory (size = its sizeLimit) and every secret and projected
// volume (so secrets never touch the node's disk). Containers get them by
// bind mount, so all of a pod's containers share one.
import { readMountInfo } from '../runtime/mountinfo.js';
import { runCommand } from '../runtime/run-command.js';

export async function isMountPoint(path: string): Promise<boolean> {
  return (await readMountInfo()).some((entry) => entry.mountPoint === path);
}

/** Mounts a tmpfs at `path` unless one is already there; `sizeBytes` caps it. */
export async function ensureTmpfs(path: string, sizeBytes?: number): Promise<void> {
  if (await isMountPoint(path)) return;
  const options = ['mode=0755', 'nosuid', 'nodev', ...(sizeBytes !== undefined ? [`size=${sizeBytes}`] : [])];
  const result = await runCommand('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', path]);
  if (result.code !== 0) throw new Error(`mounting a tmpfs at ${path}: ${result.stderr.trim() || `exit ${String(result.code)}`}`);
}

/** Unmounts every mount at or below `root` (deepest first); lazily if one is still busy. */
export async function unmountBelow(root: string): Promise<number> {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const mounts = (await readMountInfo())
    .map((entry) => entry.mountPoint)
    .filter((point) => point === root || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    const result = await runCommand('umount', [point]);
    if (result.code === 0) continue;
    const lazy = await runCommand('umount', ['-l', point]);
    if (lazy.code !== 0) throw new Error(`unmounting ${point}: ${lazy.stderr.trim() || `exit ${String(lazy.code)}`}`);
  }
  return mounts.length;
}
