import { mkdir, mkdtemp, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pinSubPath, resolveSubPath } from './sub-path.js';
import { unmountBelow } from './tmpfs.js';

let dir = '';
let volume = '';
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'skiff-sub-path-')));
  volume = join(dir, 'volume');
  await mkdir(join(volume, 'data'), { recursive: true });
  await writeFile(join(volume, 'data', 'file'), 'x');
});
afterEach(async () => {
  if (isRoot) await unmountBelow(dir);
  await rm(dir, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;

describe('subPath checks as kubelet makes them', () => {
  it('resolves a file or directory inside the volume, and makes a missing directory there', async () => {
    expect(await resolveSubPath(volume, 'data/file')).toBe(join(volume, 'data', 'file'));
    expect(await resolveSubPath(volume, './data/')).toBe(join(volume, 'data'));
    expect(await resolveSubPath(volume, 'new/deeper')).toBe(join(volume, 'new', 'deeper'));
    expect((await stat(join(volume, 'new', 'deeper'))).isDirectory()).toBe(true);
    // A symlink that stays inside is fine (a configMap's ..data links are such).
    await symlink('data/file', join(volume, 'inside'));
    expect(await resolveSubPath(volume, 'inside')).toBe(join(volume, 'data', 'file'));
  });

  it('refuses "..", absolute paths, and symlinks that lead out, making nothing outside', async () => {
    await expect(resolveSubPath(volume, '../outside')).rejects.toThrow("must not contain '..'");
    await expect(resolveSubPath(volume, 'data/../../x')).rejects.toThrow("must not contain '..'");
    await expect(resolveSubPath(volume, '/etc')).rejects.toThrow('must be a relative path');
    await symlink(dir, join(volume, 'escape'));
    await expect(resolveSubPath(volume, 'escape')).rejects.toThrow(`subpath "${dir}" not within volume path "${volume}"`);
    await expect(resolveSubPath(volume, 'escape/made-outside')).rejects.toThrow('not within volume path');
    await expect(stat(join(dir, 'made-outside'))).rejects.toThrow(/ENOENT/);
    await symlink('/etc/passwd', join(volume, 'passwd'));
    await expect(resolveSubPath(volume, 'passwd')).rejects.toThrow('subpath "/etc/passwd" not within volume path');
  });
});

describe.skipIf(skipUnlessRoot({ commands: ['mount', 'umount'] }))('pinning a checked subPath for runc (root: bind mounts)', () => {
  it('binds the checked inode, so swapping the path for a symlink afterwards changes nothing', async () => {
    const resolved = await resolveSubPath(volume, 'data');
    const pinned = join(dir, 'pins', 'main', '0');
    await pinSubPath(volume, resolved, pinned);
    // The container swaps the directory for a symlink to the host's root before runc would mount it.
    await rename(join(volume, 'data'), join(volume, 'moved'));
    await symlink('/', join(volume, 'data'));
    expect(await readFile(join(pinned, 'file'), 'utf8')).toBe('x');
    await pinSubPath(volume, resolved, pinned); // already bound: kept
    expect(await readFile(join(pinned, 'file'), 'utf8')).toBe('x');
    // Pinning the path now refuses the symlink instead of following it.
    await expect(pinSubPath(volume, join(volume, 'data'), join(dir, 'pins', 'main', '1'))).rejects.toThrow('changed into a symlink');
    expect(await unmountBelow(join(dir, 'pins'))).toBe(1);
  });

  it('binds a single file too', async () => {
    const pinned = join(dir, 'pins', 'file');
    await pinSubPath(volume, await resolveSubPath(volume, 'data/file'), pinned);
    expect(await readFile(pinned, 'utf8')).toBe('x');
  });
});
