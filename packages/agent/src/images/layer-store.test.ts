import { rejectionOf, skipUnlessRoot } from '@skiff/testkit';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Of, writeVerified } from './digest.js';
import { ImagePullError } from './errors.js';
import { LayerStore } from './layer-store.js';
import { packTar } from './tar-entries.js';
import { overlayOpaqueXattr } from './unpack-layer.js';

const IMAGE = 'test/image:1';
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'skiff-layers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function freshStore(): LayerStore {
  counter += 1;
  return new LayerStore(join(work, `store-${counter}`));
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** A blob for `bytes` plus a fetcher that writes it (verified), counting calls. */
function blob(bytes: Buffer): { digest: string; size: number; fetch: (dest: string) => Promise<void>; calls: () => number } {
  const digest = sha256Of(bytes);
  let calls = 0;
  return {
    digest,
    size: bytes.length,
    fetch: async (dest) => {
      calls += 1;
      await writeVerified(once(bytes), { digest, size: bytes.length }, dest, IMAGE, 'blob');
    },
    calls: () => calls,
  };
}

const caught = (promise: Promise<unknown>): Promise<ImagePullError> => rejectionOf(promise, ImagePullError);

/** The xattrs GNU tar sees on `path` (Node cannot read xattrs itself), read back with tar-stream. */
async function xattrsOf(dir: string, member: string): Promise<Record<string, string>> {
  const bytes = execFileSync('tar', ['-c', '-f', '-', '--xattrs', '--xattrs-include=*', '--no-recursion', '-C', dir, member]);
  const extract = tar.extract();
  extract.end(bytes);
  const xattrs: Record<string, string> = {};
  for await (const entry of extract) {
    for (const [key, value] of Object.entries(entry.header.pax ?? {})) {
      if (key.startsWith('SCHILY.xattr.') && typeof value === 'string') xattrs[key.slice('SCHILY.xattr.'.length)] = value;
    }
    entry.resume();
  }
  return xattrs;
}

describe('LayerStore', () => {
  it('unpacks a gzip layer made by GNU tar: modes, owners, mtimes, symlinks, hard links, FIFOs', async () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    mkdirSync(join(tree, 'ro'));
    mkdirSync(join(tree, 'tmp'));
    writeFileSync(join(tree, 'bin', 'tool'), '#!/bin/sh\necho hi\n');
    chmodSync(join(tree, 'bin', 'tool'), 0o4755);
    writeFileSync(join(tree, 'ro', 'data'), 'read only\n');
    chmodSync(join(tree, 'ro', 'data'), 0o444);
    chmodSync(join(tree, 'ro'), 0o555);
    chmodSync(join(tree, 'tmp'), 0o1777);
    linkSync(join(tree, 'bin', 'tool'), join(tree, 'bin', 'tool2'));
    symlinkSync('tool', join(tree, 'bin', 'alias'));
    symlinkSync('/etc/passwd', join(tree, 'abs-link'));
    execFileSync('mkfifo', [join(tree, 'fifo')]);
    utimesSync(join(tree, 'ro', 'data'), 1_000_000, 1_000_000);
    const tarFile = join(work, 'tree.tar');
    execFileSync('tar', ['-c', '-f', tarFile, '--owner=1234', '--group=4321', '--numeric-owner', '-C', tree, '.']);
    const layer = blob(gzipSync(readFileSync(tarFile)));
    const diffId = sha256Of(readFileSync(tarFile));

    const store = freshStore();
    const dir = await store.ensureLayer({ digest: layer.digest, size: layer.size, diffId }, IMAGE, layer.fetch);
    expect(dir).toBe(store.layerPath(layer.digest));
    if (!dir) return;
    expect(statSync(dir).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, 'bin', 'tool')).mode & 0o7777).toBe(0o4755);
    expect(statSync(join(dir, 'ro')).mode & 0o7777).toBe(0o555);
    expect(statSync(join(dir, 'ro', 'data')).mode & 0o7777).toBe(0o444);
    expect(statSync(join(dir, 'ro', 'data')).mtimeMs).toBe(1_000_000_000);
    expect(statSync(join(dir, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(dir, 'bin', 'tool2')).ino).toBe(statSync(join(dir, 'bin', 'tool')).ino);
    expect(readlinkSync(join(dir, 'bin', 'alias'))).toBe('tool');
    expect(readlinkSync(join(dir, 'abs-link'))).toBe('/etc/passwd');
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(readFileSync(join(dir, 'bin', 'tool'), 'utf8')).toContain('echo hi');
    if (isRoot) {
      expect(statSync(join(dir, 'bin', 'tool')).uid).toBe(1234);
      expect(lstatSync(join(dir, 'bin', 'alias')).gid).toBe(4321);
    }
    // Nothing is left in the work space, and the blob is kept.
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
    expect(await store.hasBlob(layer.digest)).toBe(true);
  });

  it('turns OCI whiteouts into overlayfs markers', async () => {
    const store = freshStore();
    const upper = blob(
      gzipSync(
        await packTar([
          { name: 'etc/', type: 'directory', mode: 0o755 },
          { name: 'etc/.wh.passwd', type: 'file' },
          { name: 'var/', type: 'directory', mode: 0o750 },
          { name: 'var/.wh..wh..opq', type: 'file' },
          { name: 'var/new', type: 'file', content: 'new\n', mode: 0o644 },
          { name: '.wh..wh.plnk', type: 'directory' },
        ]),
      ),
    );
    const dir = await store.ensureLayer(upper, IMAGE, upper.fetch);
    if (!dir) throw new Error('no layer dir');
    const whiteout = lstatSync(join(dir, 'etc', 'passwd'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);
    expect(existsSync(join(dir, 'etc', '.wh.passwd'))).toBe(false);
    expect(existsSync(join(dir, 'var', '.wh..wh..opq'))).toBe(false);
    expect(existsSync(join(dir, '.wh..wh.plnk'))).toBe(false);
    expect(await xattrsOf(dir, 'var')).toMatchObject({ [overlayOpaqueXattr()]: 'y' });
    expect(await xattrsOf(dir, 'etc')).not.toHaveProperty(overlayOpaqueXattr());
    // The marker pass must not disturb the directory's own metadata.
    expect(statSync(join(dir, 'var')).mode & 0o7777).toBe(0o750);
    expect(readFileSync(join(dir, 'var', 'new'), 'utf8')).toBe('new\n');
  });

  it('refuses entries that escape the layer, by name, through a symlink, or by hard link', async () => {
    const outside = mkdtempSync(join(work, 'outside-'));
    const cases: Array<[string, Buffer]> = [
      ['dot-dot', await packTar([{ name: 'a/../../escape', type: 'file', content: 'x' }])],
      ['symlink', await packTar([
        { name: 'sub', type: 'symlink', linkname: outside },
        { name: 'sub/pwned', type: 'file', content: 'x' },
      ])],
      ['relative symlink', await packTar([
        { name: 'up', type: 'symlink', linkname: '../../..' },
        { name: 'up/pwned', type: 'file', content: 'x' },
      ])],
      ['hard link', await packTar([{ name: 'h', type: 'link', linkname: '../../../etc/passwd' }])],
      ['whiteout', await packTar([{ name: 'a/.wh...', type: 'file' }])],
    ];
    for (const [name, bytes] of cases) {
      const store = freshStore();
      const layer = blob(bytes);
      const error = await caught(store.ensureLayer(layer, IMAGE, layer.fetch));
      expect(error.reason, name).toBe('invalid-image');
      expect(error.message, name).toMatch(/escapes the layer|symbolic link|malformed whiteout/);
      expect(error.message).toContain(layer.digest);
      expect(await store.hasLayer(layer.digest), name).toBe(false);
      expect(readdirSync(join(store.root, 'tmp')), name).toEqual([]);
    }
    expect(readdirSync(outside)).toEqual([]);
  });

  it('lets later entries replace earlier ones, as tar does', async () => {
    const store = freshStore();
    const layer = blob(
      await packTar([
        { name: 'x', type: 'file', content: 'first' },
        { name: 'x/', type: 'directory', mode: 0o700 },
        { name: 'x/y', type: 'file', content: 'inner' },
        { name: 'z/', type: 'directory', mode: 0o755 },
        { name: 'z/w', type: 'file', content: 'gone' },
        { name: 'z', type: 'symlink', linkname: 'x' },
        { name: 'f', type: 'file', content: 'old' },
        { name: 'f', type: 'file', content: 'new', mode: 0o600 },
      ]),
    );
    const dir = await store.ensureLayer(layer, IMAGE, layer.fetch);
    if (!dir) throw new Error('no layer dir');
    expect(readFileSync(join(dir, 'x', 'y'), 'utf8')).toBe('inner');
    expect(statSync(join(dir, 'x')).mode & 0o7777).toBe(0o700);
    expect(readlinkSync(join(dir, 'z'))).toBe('x');
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('new');
    expect(statSync(join(dir, 'f')).mode & 0o7777).toBe(0o600);
  });

  it('unpacks each digest once, however many ask at the same time', async () => {
    const store = freshStore();
    const layer = blob(gzipSync(await packTar([{ name: 'a', type: 'file', content: 'a' }])));
    const dirs = await Promise.all(Array.from({ length: 8 }, () => store.ensureLayer(layer, IMAGE, layer.fetch)));
    expect(new Set(dirs)).toEqual(new Set([store.layerPath(layer.digest)]));
    expect(layer.calls()).toBe(1);
    // Later calls find the directory and touch nothing.
    await store.ensureLayer(layer, IMAGE, layer.fetch);
    expect(layer.calls()).toBe(1);
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
  });

  it('checks the uncompressed digest against the config diff_id', async () => {
    const store = freshStore();
    const layer = blob(gzipSync(await packTar([{ name: 'a', type: 'file', content: 'a' }])));
    const error = await caught(store.ensureLayer({ ...layer, diffId: sha256Of(Buffer.from('other')) }, IMAGE, layer.fetch));
    expect(error.reason).toBe('digest-mismatch');
    expect(error.message).toMatch(/uncompressed content has digest/);
    expect(await store.hasLayer(layer.digest)).toBe(false);
  });

  it('reports absent content as undefined when it may not fetch (pull policy Never)', async () => {
    const store = freshStore();
    const layer = blob(await packTar([{ name: 'a', type: 'file', content: 'a' }]));
    expect(await store.ensureLayer(layer, IMAGE)).toBeUndefined();
    expect(await store.ensureBlob(layer)).toBeUndefined();
    // With the blob present, unpacking needs no fetcher.
    await store.ensureBlob(layer, layer.fetch);
    expect(await store.ensureLayer(layer, IMAGE)).toBe(store.layerPath(layer.digest));
  });

  it('rejects zstd and corrupt gzip layers clearly', async () => {
    const store = freshStore();
    const zstd = blob(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]));
    expect((await caught(store.ensureLayer(zstd, IMAGE, zstd.fetch))).reason).toBe('unsupported');
    const gz = gzipSync(await packTar([{ name: 'a', type: 'file', content: 'a'.repeat(5000) }]));
    const corrupt = blob(Buffer.concat([gz.subarray(0, 30), Buffer.alloc(40, 0xff), gz.subarray(70)]));
    const error = await caught(store.ensureLayer(corrupt, IMAGE, corrupt.fetch));
    expect(error.reason).toBe('invalid-image');
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
  });

  it('verifies documents on read and forgets corrupted ones', async () => {
    const store = freshStore();
    const bytes = Buffer.from('{"schemaVersion":2}');
    const expected = { digest: sha256Of(bytes), size: bytes.length };
    await store.putDocument(expected, bytes, IMAGE);
    expect(await store.readDocument(expected.digest)).toEqual(bytes);
    writeFileSync(store.blobPath(expected.digest), '{"schemaVersion":3}');
    expect(await store.readDocument(expected.digest)).toBeUndefined();
    expect(await store.hasBlob(expected.digest)).toBe(false);
    const wrong = await caught(store.putDocument(expected, Buffer.from('nope'), IMAGE));
    expect(wrong.reason).toBe('digest-mismatch');
  });
});

// Mounting overlayfs needs root (and the mount tools); under CI=true this suite must run.
describe.skipIf(skipUnlessRoot({ commands: ['mount', 'umount'] }))('LayerStore layers on overlayfs', () => {
  it('produces layers that overlayfs stacks as OCI intends', async () => {
    const store = freshStore();
    const base = blob(
      await packTar([
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/passwd', type: 'file', content: 'root\n' },
        { name: 'etc/hosts', type: 'file', content: 'hosts\n' },
        { name: 'var/', type: 'directory', mode: 0o755 },
        { name: 'var/old', type: 'file', content: 'old\n' },
      ]),
    );
    const top = blob(
      await packTar([
        { name: 'etc/.wh.passwd', type: 'file' },
        { name: 'var/.wh..wh..opq', type: 'file' },
        { name: 'var/new', type: 'file', content: 'new\n' },
      ]),
    );
    const lower = await store.ensureLayer(base, IMAGE, base.fetch);
    const upper = await store.ensureLayer(top, IMAGE, top.fetch);
    const mountpoint = mkdtempSync(join(work, 'mnt-'));
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, mountpoint]);
    try {
      expect(readdirSync(join(mountpoint, 'etc')).sort()).toEqual(['hosts']);
      expect(readdirSync(join(mountpoint, 'var')).sort()).toEqual(['new']);
    } finally {
      execFileSync('umount', [mountpoint]);
    }
  });
});
