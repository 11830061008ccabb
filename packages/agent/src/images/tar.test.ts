import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TAR_END, TarFormatError, encodeTarEntry, readTar, type TarEntry } from './tar.js';

const work = mkdtempSync(join(tmpdir(), 'skiff-tar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function list(bytes: Buffer, chunk = 7): Promise<Array<{ entry: TarEntry; content: string }>> {
  const out: Array<{ entry: TarEntry; content: string }> = [];
  for await (const { entry, body } of readTar(chunked(bytes, chunk))) {
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(piece);
    out.push({ entry, content: Buffer.concat(pieces).toString() });
  }
  return out;
}

const LONG = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(40)}.txt`;

function makeTree(): string {
  const root = join(work, `tree-${Math.random().toString(16).slice(2)}`);
  mkdirSync(join(root, 'dir'), { recursive: true });
  mkdirSync(join(root, LONG, '..'), { recursive: true });
  writeFileSync(join(root, 'dir', 'file.txt'), 'hello\n', { mode: 0o640 });
  writeFileSync(join(root, LONG), 'long\n');
  linkSync(join(root, 'dir', 'file.txt'), join(root, 'dir', 'hard'));
  symlinkSync('../dir/file.txt', join(root, 'link'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  return root;
}

describe('readTar', () => {
  it.each(['gnu', 'posix', 'ustar'])('reads what GNU tar writes (--format=%s), in any chunking', async (format) => {
    const root = makeTree();
    const archive = join(work, `${format}.tar`);
    // LONG fits ustar's prefix + name split, so every format covers a long path its own way.
    const members = ['dir', 'link', 'pipe', LONG];
    execFileSync('tar', ['-c', '-f', archive, `--format=${format}`, '--sort=name', '--owner=7', '--group=8', '--numeric-owner', '--mtime=@1000', '-C', root, ...members]);
    const bytes = readFileSync(archive);
    for (const chunk of [1, 7, 512, 100_000]) {
      const entries = await list(bytes, chunk);
      const byPath = new Map(entries.map((item) => [item.entry.path, item]));
      expect(byPath.get('dir/')?.entry.type).toBe('directory');
      const file = byPath.get('dir/file.txt');
      expect(file?.entry).toMatchObject({ type: 'file', mode: 0o640, uid: 7, gid: 8, size: 6, mtime: 1000 });
      expect(file?.content).toBe('hello\n');
      expect(byPath.get('dir/hard')?.entry).toMatchObject({ type: 'hardlink', linkpath: 'dir/file.txt' });
      expect(byPath.get('link')?.entry).toMatchObject({ type: 'symlink', linkpath: '../dir/file.txt' });
      expect(byPath.get('pipe')?.entry.type).toBe('fifo');
      expect(byPath.get(LONG)?.content).toBe('long\n');
    }
  });

  it('skips bodies the caller does not read', async () => {
    const archive = Buffer.concat([
      encodeTarEntry({ path: 'a', type: 'file' }, Buffer.alloc(1000, 1)),
      encodeTarEntry({ path: 'b', type: 'file' }, Buffer.from('bee')),
      TAR_END,
    ]);
    const seen: string[] = [];
    for await (const { entry, body } of readTar(chunked(archive, 33))) {
      seen.push(entry.path);
      if (entry.path === 'b') {
        const pieces: Buffer[] = [];
        for await (const piece of body) pieces.push(piece);
        expect(Buffer.concat(pieces).toString()).toBe('bee');
      }
    }
    expect(seen).toEqual(['a', 'b']);
  });

  it('writes entries GNU tar reads, with pax names and xattrs', async () => {
    const longName = `x/${'y'.repeat(150)}`;
    const archive = Buffer.concat([
      encodeTarEntry({ path: 'x/', type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.user.test': 'v' } }),
      encodeTarEntry({ path: longName, type: 'file', mode: 0o600, mtime: 42 }, Buffer.from('data')),
      encodeTarEntry({ path: 'dev', type: 'chardev', devmajor: 1, devminor: 3 }),
      TAR_END,
    ]);
    const file = join(work, 'written.tar');
    writeFileSync(file, archive);
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(listing).toContain(longName);
    expect(listing).toMatch(/^c.* 1,\s*3 .*dev$/m);
    const entries = await list(archive);
    expect(entries.map((item) => item.entry.path)).toEqual(['x/', longName, 'dev']);
    expect(entries[0]?.entry.xattrs).toEqual({ 'user.test': 'v' });
    expect(entries[1]).toMatchObject({ content: 'data', entry: { mode: 0o600, mtime: 42 } });
  });

  it('rejects garbage, truncation and unsupported entry types', async () => {
    await expect(list(Buffer.alloc(1024, 0x41))).rejects.toThrow(TarFormatError);
    const entry = encodeTarEntry({ path: 'a', type: 'file' }, Buffer.alloc(2000, 1));
    await expect(list(entry.subarray(0, 1500))).rejects.toThrow(/unexpected end of archive/);
    const sparse = Buffer.from(encodeTarEntry({ path: 's', type: 'file' }));
    sparse.write('S', 156, 'latin1');
    // Fix the checksum for the changed type flag so only the type is wrong.
    sparse.write('        ', 148, 'latin1');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += sparse[i] ?? 0;
    sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await expect(list(Buffer.concat([sparse, TAR_END]))).rejects.toThrow(/unsupported tar entry type "S"/);
  });

  it('ends at the end marker or at a clean end of stream', async () => {
    expect(await list(Buffer.alloc(0))).toEqual([]);
    const one = encodeTarEntry({ path: 'a', type: 'directory' });
    expect((await list(one)).map((item) => item.entry.path)).toEqual(['a']);
  });
});
