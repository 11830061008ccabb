// The runc driver's direct dealings with cgroupfs: where a container's cgroup
// directories are, how many times the OOM killer acted in one, and removing
// the directories runc leaves behind. runc creates `cgroupsPath` in every
// mounted hierarchy (on this hybrid host: each v1 controller, name=systemd and
// the v2 "unified" tree); `runc delete` removes the leaf but never the parents
// (/skiff/<instance>), so the driver does that itself.

import { readFile, rmdir } from 'node:fs/promises';
import { rmdirSync } from 'node:fs';
import { posix as path } from 'node:path';
import { readMountInfo, type MountInfoEntry } from './mountinfo.js';
import { delay } from './poll.js';

/** Top-level cgroup directory shared by every Skiff agent on the host. */
export const CGROUP_ROOT_NAME = 'skiff';

/**
 * `/skiff/<instance>/[<cgroupParent>/]<id>`: one parent per agent so each
 * agent's containers are grouped and cleaned up together; the pod's cgroup
 * (cgroupParent, e.g. kubepods/burstable/pod<uid>) in between when given.
 */
export function cgroupsPathFor(instanceName: string, containerId: string, cgroupParent?: string): string {
  if (cgroupParent === undefined) return `/${CGROUP_ROOT_NAME}/${instanceName}/${containerId}`;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*(\/[a-zA-Z0-9][a-zA-Z0-9_.-]*)*$/.test(cgroupParent)) {
    throw new Error(`invalid cgroupParent ${JSON.stringify(cgroupParent)}: must be a relative path of [a-zA-Z0-9_.-] names`);
  }
  return `/${CGROUP_ROOT_NAME}/${instanceName}/${cgroupParent}/${containerId}`;
}

export interface CgroupHierarchy {
  readonly mountPoint: string;
  readonly version: 1 | 2;
  /** v1: the controllers of this hierarchy (e.g. ["cpu"], ["name=systemd"]); v2: []. */
  readonly controllers: readonly string[];
  /** The cgroup the mount exposes as its root (not "/" inside some containers). */
  readonly root: string;
}

const V1_NON_CONTROLLER_OPTIONS = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime', 'xattr', 'clone_children']);

export function cgroupHierarchies(mounts: readonly MountInfoEntry[]): CgroupHierarchy[] {
  const result: CgroupHierarchy[] = [];
  const seen = new Set<string>();
  for (const mount of mounts) {
    if (mount.fsType !== 'cgroup' && mount.fsType !== 'cgroup2') continue;
    if (seen.has(mount.mountPoint)) continue;
    seen.add(mount.mountPoint);
    result.push({
      mountPoint: mount.mountPoint,
      version: mount.fsType === 'cgroup2' ? 2 : 1,
      controllers:
        mount.fsType === 'cgroup2'
          ? []
          : [...new Set(mount.options.filter((o) => !V1_NON_CONTROLLER_OPTIONS.has(o) && !o.startsWith('release_agent=')))],
      root: mount.root,
    });
  }
  return result;
}

/** Where `cgroupsPath` lives in `hierarchy`, or undefined if the mount does not expose it. */
export function cgroupDirIn(hierarchy: CgroupHierarchy, cgroupsPath: string): string | undefined {
  if (hierarchy.root === '/') return path.join(hierarchy.mountPoint, cgroupsPath);
  if (cgroupsPath === hierarchy.root) return hierarchy.mountPoint;
  if (cgroupsPath.startsWith(`${hierarchy.root}/`)) {
    return path.join(hierarchy.mountPoint, cgroupsPath.slice(hierarchy.root.length));
  }
  return undefined;
}

/** The directory of `cgroupsPath` in the v1 hierarchy holding `controller` (or the v2 tree if none). */
export async function cgroupDir(controller: string, cgroupsPath: string): Promise<string | undefined> {
  const hierarchies = cgroupHierarchies(await readMountInfo());
  const v1 = hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
  const chosen = v1 ?? hierarchies.find((h) => h.version === 2);
  return chosen ? cgroupDirIn(chosen, cgroupsPath) : undefined;
}

/**
 * How many processes the kernel OOM killer has killed in this cgroup, or
 * undefined if the cgroup (or its memory accounting) does not exist.
 * v1: `oom_kill N` in memory.oom_control (kernel ≥ 4.13). memory.failcnt is
 * no substitute: measured on this host (kernel 6.x, memory.swap = limit), both
 * memory.failcnt and memory.memsw.failcnt stayed 0 through an OOM kill, while
 * oom_kill went to 1. v2: `oom_kill` in memory.events. Both count the cgroup itself only, so they must be read
 * while the container's own cgroup still exists, i.e. before `runc delete`.
 */
export async function readOomKillCount(cgroupsPath: string): Promise<number | undefined> {
  const hierarchies = cgroupHierarchies(await readMountInfo());
  const candidates: string[] = [];
  for (const h of hierarchies) {
    const dir = cgroupDirIn(h, cgroupsPath);
    if (dir === undefined) continue;
    if (h.version === 1 && h.controllers.includes('memory')) candidates.push(path.join(dir, 'memory.oom_control'));
    if (h.version === 2) candidates.push(path.join(dir, 'memory.events'));
  }
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const match = /^oom_kill (\d+)$/m.exec(text);
    if (match?.[1] !== undefined) return Number.parseInt(match[1], 10);
  }
  return undefined;
}

/**
 * Removes the container's cgroup directory from every hierarchy. A cgroup can
 * only be removed once its last process has gone, which can lag the exit
 * notification slightly (EBUSY), so busy directories are retried until
 * `timeoutMs`. Directories already gone are fine.
 */
export async function removeCgroupDirs(cgroupsPath: string, timeoutMs = 5_000): Promise<void> {
  const hierarchies = cgroupHierarchies(await readMountInfo());
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  await Promise.all(
    hierarchies.map(async (h) => {
      const dir = cgroupDirIn(h, cgroupsPath);
      if (dir === undefined) return;
      for (;;) {
        try {
          await rmdir(dir);
          return;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return;
          if (code !== 'EBUSY' || Date.now() >= deadline) {
            failures.push(`${dir}: ${code ?? String(error)}`);
            return;
          }
          await delay(50);
        }
      }
    }),
  );
  if (failures.length > 0) throw new Error(`could not remove cgroup directories: ${failures.join(', ')}`);
}

/**
 * Removes `parentPath` (e.g. /skiff/<instance>) in every hierarchy where it is
 * empty; a non-empty cgroup refuses rmdir (EBUSY), which is exactly the check
 * we want, so other containers of the instance are never disturbed.
 * Synchronous on purpose: the caller checks "no start in flight" and removes in
 * the same tick, so a concurrent start cannot have runc create a child between
 * the check and the rmdir.
 */
export function removeEmptyCgroupParentSync(hierarchies: readonly CgroupHierarchy[], parentPath: string): void {
  for (const h of hierarchies) {
    const dir = cgroupDirIn(h, parentPath);
    if (dir === undefined) continue;
    try {
      rmdirSync(dir);
    } catch {
      // ENOENT (never created here), EBUSY/ENOTEMPTY (still in use): both leave it as it should be.
    }
  }
}
