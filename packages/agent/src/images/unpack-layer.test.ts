// unpackTar on archives from GNU tar and tar-stream: every format and
// chunking, content nobody reads, pax overrides, and archives that must be
// refused. The layer policies (escapes, whiteouts, replacement) are tested
// through LayerStore in layer-store.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TarFormatError, packTar } from './tar-entries.js';
import { unpackTar, type UnpackSummary } from './unpack-layer.js';

const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'skiff-unpack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
function freshDir(): string {
  dirs += 1;
  const dir = join(work, `out-${dirs}`);
  mkdirSync(dir);
  return dir;
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function unpack(bytes: Buffer, dest: string = freshDir(), chunk = 7): Promise<UnpackSummary> {
  return unpackTar(chunked(bytes, chunk), dest, { whiteouts: true });
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

describe('unpackTar', () => {
  it.each(['gnu', 'posix', 'ustar'])('unpacks what GNU tar writes (--format=%s), in any chunking', async (format) => {
    const root = makeTree();
    const archive = join(work, `${format}.tar`);
    // LONG fits ustar's prefix + name split, so every format covers a long path its own way.
    const members = ['dir', 'link', 'pipe', LONG];
    execFileSync('tar', ['-c', '-f', archive, `--format=${format}`, '--sort=name', '--owner=7', '--group=8', '--numeric-owner', '--mtime=@1000', '-C', root, ...members]);
    const bytes = readFileSync(archive);
    for (const chunk of [1, 7, 512, 100_000]) {
      const dest = freshDir();
      await unpack(bytes, dest, chunk);
      expect(statSync(join(dest, 'dir')).isDirectory()).toBe(true);
      const file = join(dest, 'dir', 'file.txt');
      expect(readFileSync(file, 'utf8')).toBe('hello\n');
      expect(statSync(file).mode & 0o7777).toBe(0o640);
      expect(statSync(file).mtimeMs).toBe(1_000_000);
      if (isRoot) expect(statSync(file)).toMatchObject({ uid: 7, gid: 8 });
      expect(statSync(join(dest, 'dir', 'hard')).ino).toBe(statSync(file).ino);
      expect(readlinkSync(join(dest, 'link'))).toBe('../dir/file.txt');
      expect(lstatSync(join(dest, 'pipe')).isFIFO()).toBe(true);
      expect(readFileSync(join(dest, LONG), 'utf8')).toBe('long\n');
    }
  });

  it('skips content nobody reads', async () => {
    // More than tar-stream buffers for an entry, so unread content that is not skipped stalls the archive.
    const dest = freshDir();
    const summary = await unpack(
      await packTar([
        { name: '.wh.a', content: Buffer.alloc(1 << 20, 1) },
        { name: 'b', content: 'bee' },
      ]),
      dest,
      33,
    );
    expect(summary).toMatchObject({ entries: 2, whiteouts: 1 });
    expect(readFileSync(join(dest, 'b'), 'utf8')).toBe('bee');
  });

  it('takes ownership and times from pax records', async () => {
    const dest = freshDir();
    await unpack(await packTar([{ name: 'f', content: 'x', pax: { mtime: '1234.5', uid: '3000000', gid: '3000001' } }]), dest);
    expect(statSync(join(dest, 'f')).mtimeMs).toBe(1_234_500);
    if (isRoot) expect(statSync(join(dest, 'f'))).toMatchObject({ uid: 3_000_000, gid: 3_000_001 });
    const error = await unpack(await packTar([{ name: 'g', content: 'x', pax: { uid: '-1' } }])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TarFormatError);
    expect(String(error)).toMatch(/malformed uid "-1"/);
  });

  it('keeps absolute names inside the layer, and refuses hard links to anything outside it', async () => {
    const dest = freshDir();
    await unpack(await packTar([{ name: '/abs-escape', content: 'x' }]), dest);
    expect(readFileSync(join(dest, 'abs-escape'), 'utf8')).toBe('x');
    expect(existsSync('/abs-escape')).toBe(false);
    const outside = await unpack(await packTar([{ name: 'h', type: 'link', linkname: '/etc/passwd' }])).catch((caught: unknown) => caught);
    expect(outside).toBeInstanceOf(TarFormatError);
    // Read relative to the layer root, where there is no etc/ to link to.
    expect(String(outside)).toMatch(/entry "h": "etc" does not exist/);
  });

  it('refuses garbage, truncation and unsupported entry types', async () => {
    await expect(unpack(Buffer.alloc(1024, 0x41))).rejects.toThrow(TarFormatError);
    const entry = await packTar([{ name: 'a', content: Buffer.alloc(2000, 1) }]);
    await expect(unpack(entry.subarray(0, 1500))).rejects.toThrow(TarFormatError);
    // A GNU sparse file ('S'), with the checksum fixed so only the type is wrong.
    const sparse = Buffer.from(await packTar([{ name: 's' }]));
    sparse.write('S', 156, 'latin1');
    sparse.write('        ', 148, 'latin1');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += sparse[i] ?? 0;
    sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const dest = freshDir();
    await expect(unpack(sparse, dest)).rejects.toThrow(/entry "s" has an unsupported type/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('ends at the end marker or at a clean end of stream', async () => {
    expect((await unpack(Buffer.alloc(0))).entries).toBe(0);
    const one = (await packTar([{ name: 'a', type: 'directory' }])).subarray(0, 512);
    const dest = freshDir();
    expect((await unpack(one, dest)).entries).toBe(1);
    expect(statSync(join(dest, 'a')).isDirectory()).toBe(true);
  });
});
