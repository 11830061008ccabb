// Cleanup for tests that run real runc containers: first through the runtime,
// then by force whatever survived it (runc state, mounts, cgroups), so a failed
// test leaves nothing on the host. Beside the code so other packages' tests can
// use it, like test-rootfs.ts.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cgroupDirIn, cgroupHierarchies } from './cgroup-fs.js';
import { readMountInfo } from './mountinfo.js';
import type { RuncRuntime } from './runc-runtime.js';

export async function removeAll(runtime: RuncRuntime): Promise<void> {
  for (const c of await runtime.list()) {
    await runtime.remove(c.id).catch((error: unknown) => console.error(`cleanup of ${c.id} failed:`, error));
  }
}

/** Whatever survived remove(): runc containers, mounts under `base`, the instance's cgroups. */
export async function forceCleanup(runtime: RuncRuntime, base: string): Promise<void> {
  const listed = spawnSync('runc', ['--root', runtime.runcRoot, 'list', '-q'], { encoding: 'utf8' });
  for (const id of listed.stdout.split('\n').filter(Boolean)) {
    spawnSync('runc', ['--root', runtime.runcRoot, 'delete', '--force', id]);
  }
  for (const m of await readMountInfo()) {
    if (m.mountPoint.startsWith(`${base}/`)) spawnSync('umount', ['-l', m.mountPoint]);
  }
  for (const dir of (await instanceCgroupDirs(runtime.instanceName)).reverse()) {
    await rm(dir, { recursive: false, force: true }).catch(() => spawnSync('rmdir', [dir]));
  }
}

/** Directories at or below /skiff/<instance> in every cgroup hierarchy. */
export async function instanceCgroupDirs(instance: string): Promise<string[]> {
  const found: string[] = [];
  for (const h of cgroupHierarchies(await readMountInfo())) {
    const dir = cgroupDirIn(h, `/skiff/${instance}`);
    if (dir === undefined || !existsSync(dir)) continue;
    found.push(dir);
    const children = spawnSync('find', [dir, '-mindepth', '1', '-type', 'd'], { encoding: 'utf8' });
    found.push(...children.stdout.split('\n').filter(Boolean));
  }
  return found;
}
