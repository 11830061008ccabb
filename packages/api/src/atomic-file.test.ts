import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-file.js';

describe('writeFileAtomic', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-atomic-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates and replaces a file with its exact mode, leaving no temporary behind', async () => {
    const file = join(dir, 'config.json');
    await writeFileAtomic(file, 'one', { mode: 0o600, durable: false });
    await writeFileAtomic(file, 'two', { mode: 0o640 });
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['config.json']);
  });

  it('refuses to replace an existing file when exclusive, and removes its temporary either way', async () => {
    const file = join(dir, 'claim');
    await writeFileAtomic(file, 'first', { exclusive: true, syncDirectory: true });
    await expect(writeFileAtomic(file, 'second', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(file, 'utf8')).toBe('first');
    expect(await readdir(dir)).toEqual(['claim']);
  });

  it('removes its temporary when the rename fails', async () => {
    // A directory where the file should go: rename(2) of a file over it fails.
    const target = join(dir, 'occupied');
    await mkdir(join(target, 'inner'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    expect(await readdir(dir)).toEqual(['occupied']);
  });
});
