// A container's root filesystem: the image layers stacked read-only with
// overlayfs, plus a per-container upper directory that receives its writes, so
// unpacked layers are shared by every container of an image and never change.
//
// runc mounts the overlay itself, as the bundle's first mount, at "/" of the
// container's (empty) root directory, inside the container's own mount
// namespace: the host's mount table never holds it, nothing is left mounted
// when a container or the agent dies, and the agent forks no mount(8) per
// container start nor umount(8) per removal (each fork of the agent blocks its
// event loop for a few milliseconds). Agents before this mounted the overlay on
// the host at the root directory; unmountOverlay removes such a mount.

import { mkdir } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { readMountInfo } from './mountinfo.js';
import type { OciMount } from './oci-spec.js';
import { describeFailure, runCommand } from './run-command.js';

export interface OverlayRootfs {
  /** Read-only layer directories, bottom layer first (image order). */
  readonly layers: readonly string[];
  /** Receives the container's writes. */
  readonly upperDir: string;
  /** overlayfs scratch space; must be on the same filesystem as upperDir. */
  readonly workDir: string;
  /** The bundle's root.path: an empty directory the merged tree is mounted on, in the container's mount namespace. */
  readonly target: string;
  /**
   * Used as the only lower layer when `layers` is empty (overlayfs needs at
   * least one); created if missing.
   */
  readonly emptyLowerDir: string;
}

/** mount(2) copies at most one page of option data. */
const MAX_MOUNT_DATA = 4095;

/** The mount's option data (`lowerdir=…,upperdir=…,workdir=…`); exposed for tests. overlayfs wants the TOP layer first. */
export function overlayMountOptions(rootfs: OverlayRootfs): string {
  const lower = rootfs.layers.length > 0 ? [...rootfs.layers].reverse() : [rootfs.emptyLowerDir];
  for (const dir of [...lower, rootfs.upperDir, rootfs.workDir]) {
    // ':' separates layers and ',' separates options; overlayfs has escapes for
    // them, runc does not pass them through reliably, so refuse clearly.
    if (!path.isAbsolute(dir) || /[:,\n]/.test(dir)) {
      throw new Error(`overlay path ${JSON.stringify(dir)} must be absolute and contain no ':', ',' or newline`);
    }
  }
  const data = `lowerdir=${lower.join(':')},upperdir=${rootfs.upperDir},workdir=${rootfs.workDir}`;
  if (data.length > MAX_MOUNT_DATA) {
    throw new Error(
      `overlay options are ${data.length} bytes (${lower.length} layers); the kernel accepts at most ${MAX_MOUNT_DATA}: ` +
        'use shorter layer paths',
    );
  }
  return data;
}

/** True if something is mounted exactly at `target`. */
export async function isMounted(target: string): Promise<boolean> {
  const resolved = path.resolve(target);
  return (await readMountInfo()).some((m) => m.mountPoint === resolved);
}

/**
 * Creates the overlay's directories and returns the mount for the bundle: the
 * first of its mounts, so runc mounts it on root.path (`target`) before /proc,
 * /dev and the rest, which then land inside it, and pivots into it. runc
 * splits the options into flags and data as mount(8) does.
 */
export async function prepareOverlayRoot(rootfs: OverlayRootfs): Promise<OciMount> {
  const data = overlayMountOptions(rootfs);
  await Promise.all([
    mkdir(rootfs.upperDir, { recursive: true }),
    mkdir(rootfs.workDir, { recursive: true }),
    mkdir(rootfs.target, { recursive: true }),
    rootfs.layers.length === 0 ? mkdir(rootfs.emptyLowerDir, { recursive: true }) : Promise.resolve(undefined),
  ]);
  return { destination: '/', type: 'overlay', source: 'overlay', options: data.split(',') };
}

/**
 * Unmounts `target` (every stacked mount there) if mounted on the host: what
 * an agent before runc mounted the overlays left at a container's root
 * directory. A plain unmount fails while something still uses the tree; the
 * container has exited by the time this runs, so that is a straggler (a shell
 * cd'ed into it), and a lazy unmount detaches it anyway so the directories can
 * be removed.
 */
export async function unmountOverlay(target: string): Promise<void> {
  for (let attempt = 0; attempt < 8 && (await isMounted(target)); attempt += 1) {
    const result = await runCommand('umount', [target]);
    if (result.code === 0) continue;
    const lazy = await runCommand('umount', ['-l', target]);
    if (lazy.code !== 0) throw new Error(`unmounting ${target}: ${describeFailure('umount', lazy)}`);
  }
  if (await isMounted(target)) throw new Error(`unmounting ${target}: still mounted`);
}
