// A container's root filesystem: the image layers stacked read-only with
// overlayfs, plus a per-container upper directory that receives its writes, so
// unpacked layers are shared by every container of an image and never change.
// Mount and unmount are idempotent and consult /proc/self/mountinfo rather
// than memory, because after an agent restart the mounts are still there and
// mounting a second overlay on top would hide the running container's view.

import { mkdir } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { readMountInfo } from './mountinfo.js';
import { describeFailure, runCommand } from './run-command.js';

export interface OverlayRootfs {
  /** Read-only layer directories, bottom layer first (image order). */
  readonly layers: readonly string[];
  /** Receives the container's writes. */
  readonly upperDir: string;
  /** overlayfs scratch space; must be on the same filesystem as upperDir. */
  readonly workDir: string;
  /** Where the merged tree is mounted (the bundle's root.path). */
  readonly target: string;
  /**
   * Used as the only lower layer when `layers` is empty (overlayfs needs at
   * least one); created if missing.
   */
  readonly emptyLowerDir: string;
}

/** mount(2) copies at most one page of option data. */
const MAX_MOUNT_DATA = 4095;

/** The `-o` option string; exposed for tests. overlayfs wants the TOP layer first. */
export function overlayMountOptions(rootfs: OverlayRootfs): string {
  const lower = rootfs.layers.length > 0 ? [...rootfs.layers].reverse() : [rootfs.emptyLowerDir];
  for (const dir of [...lower, rootfs.upperDir, rootfs.workDir]) {
    // ':' separates layers and ',' separates options; overlayfs has escapes for
    // them, mount(8) does not pass them through reliably, so refuse clearly.
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

/** Mounts the overlay at `target` unless something already is (e.g. before an agent restart). */
export async function mountOverlay(rootfs: OverlayRootfs): Promise<void> {
  const options = overlayMountOptions(rootfs);
  if (await isMounted(rootfs.target)) return;
  await Promise.all([
    mkdir(rootfs.upperDir, { recursive: true }),
    mkdir(rootfs.workDir, { recursive: true }),
    mkdir(rootfs.target, { recursive: true }),
    rootfs.layers.length === 0 ? mkdir(rootfs.emptyLowerDir, { recursive: true }) : Promise.resolve(undefined),
  ]);
  const result = await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', options, rootfs.target]);
  if (result.code !== 0) throw new Error(`mounting the rootfs at ${rootfs.target}: ${describeFailure('mount', result)}`);
}

/**
 * Unmounts `target` (every stacked mount there) if mounted. A plain unmount
 * fails while something still uses the tree; the container has exited by the
 * time this runs, so that is a straggler (a shell cd'ed into it), and a lazy
 * unmount detaches it anyway so the directories can be removed.
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
