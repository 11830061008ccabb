// Real overlay mounts: needs root and mount/umount (skipped otherwise, failing under CI).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMountInfo } from './mountinfo.js';
import { isMounted, mountOverlay, overlayMountOptions, unmountOverlay, type OverlayRootfs } from './overlay-rootfs.js';

describe('overlayMountOptions', () => {
  const rootfs: OverlayRootfs = {
    layers: ['/l/bottom', '/l/middle', '/l/top'],
    upperDir: '/c/upper',
    workDir: '/c/work',
    target: '/c/rootfs',
    emptyLowerDir: '/c/empty',
  };

  it('lists the top layer first, as overlayfs wants', () => {
    expect(overlayMountOptions(rootfs)).toBe('lowerdir=/l/top:/l/middle:/l/bottom,upperdir=/c/upper,workdir=/c/work');
  });

  it('uses an empty lower directory for an image without layers', () => {
    expect(overlayMountOptions({ ...rootfs, layers: [] })).toBe('lowerdir=/c/empty,upperdir=/c/upper,workdir=/c/work');
  });

  it('refuses paths overlayfs would misread and option strings the kernel would cut', () => {
    expect(() => overlayMountOptions({ ...rootfs, layers: ['/a:b'] })).toThrow(/':'/);
    expect(() => overlayMountOptions({ ...rootfs, layers: ['relative'] })).toThrow(/absolute/);
    expect(() => overlayMountOptions({ ...rootfs, layers: Array.from({ length: 200 }, (_, i) => `/layers/${'x'.repeat(20)}${i}`) })).toThrow(
      /at most 4095/,
    );
  });
});

describe.skipIf(skipUnlessRoot({ commands: ['mount', 'umount'] }))('mountOverlay (real mounts)', () => {
  let dir: string;
  let rootfs: OverlayRootfs;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-overlay-'));
    await mkdir(join(dir, 'bottom'));
    await mkdir(join(dir, 'top'));
    await writeFile(join(dir, 'bottom', 'shared.txt'), 'bottom\n');
    await writeFile(join(dir, 'bottom', 'only-bottom.txt'), 'b\n');
    await writeFile(join(dir, 'top', 'shared.txt'), 'top\n');
    rootfs = {
      layers: [join(dir, 'bottom'), join(dir, 'top')],
      upperDir: join(dir, 'upper'),
      workDir: join(dir, 'work'),
      target: join(dir, 'rootfs'),
      emptyLowerDir: join(dir, 'empty'),
    };
  });

  afterEach(async () => {
    await unmountOverlay(rootfs.target).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('stacks layers (upper wins), sends writes to the upper dir, and leaves layers untouched', async () => {
    await mountOverlay(rootfs);
    expect(await isMounted(rootfs.target)).toBe(true);
    expect(await readFile(join(rootfs.target, 'shared.txt'), 'utf8')).toBe('top\n');
    expect(await readFile(join(rootfs.target, 'only-bottom.txt'), 'utf8')).toBe('b\n');
    await writeFile(join(rootfs.target, 'new.txt'), 'written\n');
    expect(await readFile(join(rootfs.upperDir, 'new.txt'), 'utf8')).toBe('written\n');
    expect(existsSync(join(dir, 'top', 'new.txt'))).toBe(false);
  });

  it('is idempotent: a second mount (an agent restart) does not stack another overlay', async () => {
    await mountOverlay(rootfs);
    await mountOverlay(rootfs);
    const mounts = (await readMountInfo()).filter((m) => m.mountPoint === rootfs.target);
    expect(mounts).toHaveLength(1);
    await unmountOverlay(rootfs.target);
    expect(await isMounted(rootfs.target)).toBe(false);
    await unmountOverlay(rootfs.target);
  });

  it('mounts an image without layers on an empty lower directory', async () => {
    await mountOverlay({ ...rootfs, layers: [] });
    await writeFile(join(rootfs.target, 'x'), 'x');
    expect(existsSync(join(rootfs.upperDir, 'x'))).toBe(true);
  });
});
