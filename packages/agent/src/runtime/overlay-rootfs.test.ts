// The overlay's mount for runc's bundle; unmounting what older agents mounted on
// the host needs root and mount/umount (skipped otherwise, failing under CI).
// What a container sees through the overlay: runc-runtime.test.ts.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMountInfo } from './mountinfo.js';
import { runCommand } from './run-command.js';
import { isMounted, overlayMountOptions, prepareOverlayRoot, unmountOverlay, type OverlayRootfs } from './overlay-rootfs.js';

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

describe('prepareOverlayRoot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-overlay-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the container's directories and returns the bundle's first mount, on root.path itself", async () => {
    const rootfs: OverlayRootfs = {
      layers: ['/l/bottom', '/l/top'],
      upperDir: join(dir, 'upper'),
      workDir: join(dir, 'work'),
      target: join(dir, 'rootfs'),
      emptyLowerDir: join(dir, 'empty'),
    };
    expect(await prepareOverlayRoot(rootfs)).toEqual({
      destination: '/',
      type: 'overlay',
      source: 'overlay',
      options: ['lowerdir=/l/top:/l/bottom', `upperdir=${rootfs.upperDir}`, `workdir=${rootfs.workDir}`],
    });
    expect([existsSync(rootfs.upperDir), existsSync(rootfs.workDir), existsSync(rootfs.target), existsSync(rootfs.emptyLowerDir)]).toEqual([true, true, true, false]);
  });

  it('creates the empty lower directory for an image without layers', async () => {
    const rootfs = { layers: [], upperDir: join(dir, 'u'), workDir: join(dir, 'w'), target: join(dir, 'r'), emptyLowerDir: join(dir, 'e') };
    expect((await prepareOverlayRoot(rootfs)).options?.[0]).toBe(`lowerdir=${rootfs.emptyLowerDir}`);
    expect(existsSync(rootfs.emptyLowerDir)).toBe(true);
  });

  it('refuses bad paths before creating anything', async () => {
    const rootfs = { layers: ['/a,b'], upperDir: join(dir, 'u'), workDir: join(dir, 'w'), target: join(dir, 'r'), emptyLowerDir: join(dir, 'e') };
    await expect(prepareOverlayRoot(rootfs)).rejects.toThrow(/','/);
    expect(existsSync(rootfs.upperDir)).toBe(false);
  });
});

describe.skipIf(skipUnlessRoot({ commands: ['mount', 'umount'] }))('unmountOverlay (a host mount left by an older agent)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-overlay-'));
    for (const sub of ['lower', 'upper', 'work', 'rootfs']) await mkdir(join(dir, sub));
    await writeFile(join(dir, 'lower', 'file'), 'x\n');
  });

  afterEach(async () => {
    await unmountOverlay(join(dir, 'rootfs')).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const mountOnHost = async (): Promise<void> => {
    const options = `lowerdir=${join(dir, 'lower')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`;
    const result = await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', options, join(dir, 'rootfs')]);
    expect(result.code, result.stderr).toBe(0);
  };

  it('unmounts every overlay stacked at the root directory, and is a no-op when nothing is mounted', async () => {
    const target = join(dir, 'rootfs');
    await mountOnHost();
    await mountOnHost();
    expect((await readMountInfo()).filter((m) => m.mountPoint === target)).toHaveLength(2);
    expect(await readFile(join(target, 'file'), 'utf8')).toBe('x\n');
    await unmountOverlay(target);
    expect(await isMounted(target)).toBe(false);
    await unmountOverlay(target);
  });
});
