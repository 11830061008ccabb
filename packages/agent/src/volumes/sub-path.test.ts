import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSubPath } from './sub-path.js';

let dir = '';
let volume = '';
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'skiff-sub-path-')));
  volume = join(dir, 'volume');
  await mkdir(join(volume, 'data'), { recursive: true });
  await writeFile(join(volume, 'data', 'file'), 'x');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

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
