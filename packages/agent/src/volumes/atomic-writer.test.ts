import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payloadPathProblem, writeAtomically, type FileProjection } from './atomic-writer.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-atomic-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (text: string, mode = 0o644): FileProjection => ({ data: Buffer.from(text), mode });

describe("kubelet's atomic writer layout", () => {
  it('writes a timestamped directory, ..data pointing at it, and user-visible symlinks through ..data', async () => {
    expect(await writeAtomically(dir, new Map([['app.conf', file('a=1\n')], ['nested/deep/x', file('x', 0o600)]]))).toBe(true);
    const entries = (await readdir(dir)).sort();
    const stamped = entries.filter((e) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\..+$/.test(e));
    expect(stamped).toHaveLength(1);
    expect(entries).toEqual(['..data', stamped[0], 'app.conf', 'nested'].sort());
    expect(await readlink(join(dir, '..data'))).toBe(stamped[0]);
    expect(await readlink(join(dir, 'app.conf'))).toBe('..data/app.conf');
    expect(await readlink(join(dir, 'nested'))).toBe('..data/nested');
    expect(await readFile(join(dir, 'app.conf'), 'utf8')).toBe('a=1\n');
    expect((await stat(join(dir, 'nested/deep/x'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'app.conf'))).mode & 0o777).toBe(0o644);
  });

  it('swaps ..data on an update, drops names no longer there and the old directory, and does nothing when unchanged', async () => {
    await writeAtomically(dir, new Map([['a', file('1')], ['b', file('2')]]));
    const first = await readlink(join(dir, '..data'));
    expect(await writeAtomically(dir, new Map([['a', file('1')], ['b', file('2')]]))).toBe(false);
    expect(await readlink(join(dir, '..data'))).toBe(first);

    expect(await writeAtomically(dir, new Map([['a', file('changed')], ['c', file('3')]]))).toBe(true);
    const second = await readlink(join(dir, '..data'));
    expect(second).not.toBe(first);
    expect((await readdir(dir)).sort()).toEqual(['..data', second, 'a', 'c'].sort());
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('changed');
    // A mode change alone is an update too.
    expect(await writeAtomically(dir, new Map([['a', file('changed', 0o400)], ['c', file('3')]]))).toBe(true);
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o400);
    // An empty payload leaves an empty volume (an optional ConfigMap that does not exist).
    await writeAtomically(dir, new Map());
    expect((await readdir(dir)).filter((e) => !e.startsWith('..'))).toEqual([]);
    expect((await lstat(join(dir, '..data'))).isSymbolicLink()).toBe(true);
  });

  it('refuses paths that would leave the volume or shadow its own names', async () => {
    expect(payloadPathProblem('../x')).toBe("starts with '..'");
    expect(payloadPathProblem('a/../../x')).toBe("contains '..'");
    expect(payloadPathProblem('/etc/passwd')).toBe('absolute');
    expect(payloadPathProblem('..data')).toBe("starts with '..'");
    expect(payloadPathProblem('a//b')).toBe('has an empty or "." element');
    await expect(writeAtomically(dir, new Map([['../escape', file('x')]]))).rejects.toThrow(/invalid path "..\/escape"/);
    expect(await readdir(dir)).toEqual([]);
  });
});
