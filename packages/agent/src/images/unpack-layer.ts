// Unpacks one tar stream into a directory, the way a layer must be unpacked
// to serve as an overlayfs lower directory. Parsing the archive is
// tar-stream's (through tar-entries.ts); this file holds Skiff's policy for
// what an entry may do to the layer directory:
//
// - paths are relative to the layer root; an entry with a ".." component, or
//   one that would be written through a symbolic link (the archive's own or
//   anything else), is refused, and the whole layer with it;
// - modes (including set-id bits), ownership (when running as root), mtimes,
//   symlinks and hard links (to entries within the layer only) are reproduced;
//   a later entry of the same name replaces an earlier one, as in tar;
// - OCI whiteouts become overlayfs markers: ".wh.NAME" becomes a character
//   device 0:0 named NAME, and ".wh..wh..opq" sets the xattr
//   trusted.overlay.opaque=y on its directory (user.overlay.opaque when not
//   root, which overlayfs honours with the "userxattr" mount option);
// - device nodes are created only when running as root (FIFOs always).
//
// Those markers, devices and FIFOs are written last, by GNU tar
// (overlay-markers.ts), after checking again that no path to them runs
// through a symlink.
//
// File system calls are synchronous on purpose: a layer is thousands of small
// files at a handful of calls each, and sending every call through libuv's
// thread pool made unpacking ten times slower than GNU tar. The event loop
// still gets control between chunks of the (asynchronous) input stream, so it
// is blocked for at most one chunk's worth of entries at a time.
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { writeOverlayMarkers } from './overlay-markers.js';
import { TarFormatError, readTarEntries, type TarEntry } from './tar-entries.js';

export interface UnpackOptions {
  /** Turn OCI whiteout files into overlayfs markers (image layers); false extracts them as plain files. */
  readonly whiteouts: boolean;
  /** Apply the archive's uid/gid. Default: when running as root (others cannot chown). */
  readonly preserveOwnership?: boolean;
}

export interface UnpackSummary {
  readonly entries: number;
  readonly whiteouts: number;
  readonly opaqueDirs: number;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The xattr that marks an opaque directory for overlayfs, as this process can set it. */
export function overlayOpaqueXattr(): string {
  return isRoot() ? 'trusted.overlay.opaque' : 'user.overlay.opaque';
}

/** Path components of an entry, relative to the layer root; refuses "..". */
function entryParts(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new TarFormatError(`entry ${JSON.stringify(path)} escapes the layer directory`);
  return parts;
}

function lstatOrUndefined(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

/** Directories whose metadata is applied between two turns of the event loop. */
const DIRECTORIES_PER_TURN = 256;

class Unpacker {
  /** Relative paths known to be real directories (not symlinks) right now. */
  private readonly knownDirs = new Set<string>(['']);
  /** Directory entries whose mode/owner/mtime are applied last (children change mtimes; 0555 blocks writes). */
  private readonly dirMeta = new Map<string, TarEntry>();
  private readonly whiteouts = new Set<string>();
  private readonly opaque = new Set<string>();
  /** Devices and FIFOs, created by tar with the markers. */
  private readonly specials = new Map<string, TarEntry>();
  private entries = 0;

  constructor(
    private readonly dest: string,
    private readonly options: Required<UnpackOptions>,
  ) {}

  async run(source: AsyncIterable<Uint8Array>): Promise<UnpackSummary> {
    for await (const { entry, body } of readTarEntries(source)) {
      this.entries++;
      await this.extract(entry, body);
    }
    await this.writeMarkers();
    await this.applyDirectoryMetadata();
    return { entries: this.entries, whiteouts: this.whiteouts.size, opaqueDirs: this.opaque.size };
  }

  private abs(rel: string): string {
    return rel === '' ? this.dest : join(this.dest, rel);
  }

  /**
   * Makes sure every parent of `parts` is a real directory inside the layer,
   * creating missing ones. A symlink on the way is refused: following it could
   * write outside the layer directory.
   */
  private ensureParents(parts: readonly string[], entryPath: string, create = true): void {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.knownDirs.has(rel)) continue;
      const stats = lstatOrUndefined(this.abs(rel));
      if (!stats) {
        if (!create) throw new TarFormatError(`entry ${JSON.stringify(entryPath)}: ${JSON.stringify(rel)} does not exist`);
        mkdirSync(this.abs(rel));
        // Independent of the process umask: an implicit directory must be usable by any container user.
        chmodSync(this.abs(rel), 0o755);
      } else if (stats.isSymbolicLink()) {
        throw new TarFormatError(`entry ${JSON.stringify(entryPath)} would be written through the symbolic link ${JSON.stringify(rel)}`);
      } else if (!stats.isDirectory()) {
        throw new TarFormatError(`entry ${JSON.stringify(entryPath)}: ${JSON.stringify(rel)} is not a directory`);
      }
      this.knownDirs.add(rel);
    }
  }

  /** Forgets everything recorded at or under `rel`, which is being replaced. */
  private forget(rel: string): void {
    const under = `${rel}/`;
    for (const set of [this.knownDirs, this.whiteouts, this.opaque]) {
      for (const key of set) if (key === rel || key.startsWith(under)) set.delete(key);
    }
    for (const map of [this.dirMeta, this.specials]) {
      for (const key of map.keys()) if (key === rel || key.startsWith(under)) map.delete(key);
    }
  }

  /** Removes whatever is at `rel` (a later entry of the same name wins, as in tar). */
  private replace(rel: string): void {
    this.whiteouts.delete(rel);
    this.specials.delete(rel);
    const stats = lstatOrUndefined(this.abs(rel));
    if (!stats) return;
    this.forget(rel);
    rmSync(this.abs(rel), { recursive: stats.isDirectory(), force: true });
  }

  /**
   * Runs `make` (which creates `rel`); if something is already there, removes
   * it and tries once more. Optimistic, because in a fresh directory almost
   * nothing is ever there, and a check before every create costs a call each.
   */
  private create<T>(rel: string, make: () => T): T {
    this.whiteouts.delete(rel);
    this.specials.delete(rel);
    try {
      return make();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.replace(rel);
    return make();
  }

  private async extract(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = entryParts(entry.path);
    const rel = parts.join('/');
    const base = parts[parts.length - 1];
    if (base === undefined) {
      // "./": the layer root itself.
      if (entry.type !== 'directory') throw new TarFormatError(`entry ${JSON.stringify(entry.path)} names the layer root`);
      this.dirMeta.set('', entry);
      return;
    }
    this.ensureParents(parts, entry.path);
    const parent = parts.slice(0, -1).join('/');

    if (this.options.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
      if (base === OPAQUE_MARKER) {
        this.opaque.add(parent);
      } else if (!base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
        // ".wh..wh.*" other than the opaque marker is aufs bookkeeping: ignored, as other runtimes do.
        const name = base.slice(WHITEOUT_PREFIX.length);
        if (name === '' || name === '.' || name === '..') {
          throw new TarFormatError(`malformed whiteout ${JSON.stringify(entry.path)}`);
        }
        const hidden = parent === '' ? name : `${parent}/${name}`;
        this.replace(hidden);
        this.whiteouts.add(hidden);
      }
      return;
    }

    const target = this.abs(rel);
    switch (entry.type) {
      case 'directory': {
        this.whiteouts.delete(rel);
        this.specials.delete(rel);
        try {
          mkdirSync(target, 0o700);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          // An existing directory stays (with its contents); anything else is replaced.
          if (!lstatOrUndefined(target)?.isDirectory()) {
            this.replace(rel);
            mkdirSync(target, 0o700);
          }
        }
        this.knownDirs.add(rel);
        this.dirMeta.set(rel, entry);
        return;
      }
      case 'file': {
        // "wx" (O_EXCL) never follows a symlink at the final component; the
        // rest goes through the descriptor, so never through a path at all.
        const fd = this.create(rel, () => openSync(target, 'wx', 0o600));
        try {
          for await (const piece of body) {
            for (let offset = 0; offset < piece.length; ) offset += writeSync(fd, piece, offset);
          }
          // chown first: it clears set-id bits, which chmod then restores.
          if (this.options.preserveOwnership) fchownSync(fd, entry.uid, entry.gid);
          fchmodSync(fd, entry.mode);
          futimesSync(fd, entry.mtime, entry.mtime);
        } finally {
          closeSync(fd);
        }
        return;
      }
      case 'symlink': {
        this.create(rel, () => symlinkSync(entry.linkpath, target));
        if (this.options.preserveOwnership) lchownSync(target, entry.uid, entry.gid);
        lutimesSync(target, entry.mtime, entry.mtime);
        return;
      }
      case 'link': {
        const linkParts = entryParts(entry.linkpath);
        const linkRel = linkParts.join('/');
        if (linkParts.length === 0) throw new TarFormatError(`hard link ${JSON.stringify(entry.path)} to the layer root`);
        if (linkRel === rel) return;
        this.ensureParents(linkParts, entry.path, false);
        const source = lstatOrUndefined(this.abs(linkRel));
        if (!source) {
          throw new TarFormatError(`hard link ${JSON.stringify(entry.path)} to ${JSON.stringify(entry.linkpath)}, which is not in the layer`);
        }
        if (source.isDirectory()) throw new TarFormatError(`hard link ${JSON.stringify(entry.path)} to a directory`);
        // link(2) does not follow a symlink source: it links the symlink itself, inside the layer.
        this.create(rel, () => linkSync(this.abs(linkRel), target));
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        this.replace(rel);
        this.specials.set(rel, entry);
        return;
      }
    }
  }

  /** Owner, mode and mtime of a directory (by path: it was checked to be a real directory just before). */
  private applyDirectory(path: string, entry: TarEntry): void {
    // chown first: it clears set-id bits, which chmod then restores.
    if (this.options.preserveOwnership) lchownSync(path, entry.uid, entry.gid);
    chmodSync(path, entry.mode);
    utimesSync(path, entry.mtime, entry.mtime);
  }

  /** Whiteout devices, opaque xattrs and special files, in one GNU tar run. */
  private async writeMarkers(): Promise<void> {
    // Only root may create real devices (whiteouts are exempt since Linux 5.8);
    // a rootless store skips them: a container gets its /dev from the runtime.
    const specials = [...this.specials].filter(([, entry]) => entry.type === 'fifo' || isRoot());
    // Re-check, without the cache, that nothing between the layer root and a
    // marker is a symlink: tar would follow it.
    for (const rel of [...this.opaque, ...this.whiteouts, ...specials.map(([path]) => path)]) {
      const parts = rel === '' ? [] : rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const stats = lstatOrUndefined(this.abs(parts.slice(0, i).join('/')));
        if (!stats?.isDirectory()) throw new TarFormatError(`marker ${JSON.stringify(rel)} lies under a non-directory`);
      }
    }
    await writeOverlayMarkers(this.dest, {
      opaqueDirs: this.opaque,
      whiteouts: this.whiteouts,
      specials,
      opaqueXattr: overlayOpaqueXattr(),
      preserveOwnership: this.options.preserveOwnership,
    });
  }

  private async applyDirectoryMetadata(): Promise<void> {
    if (!this.dirMeta.has('')) chmodSync(this.dest, 0o755);
    const deepestFirst = [...this.dirMeta.entries()].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    let done = 0;
    for (const [rel, entry] of deepestFirst) {
      const path = this.abs(rel);
      // Never chmod through a symlink: only a real directory gets the metadata.
      if (lstatOrUndefined(path)?.isDirectory()) this.applyDirectory(path, entry);
      if (++done % DIRECTORIES_PER_TURN === 0) await yieldToEventLoop();
    }
  }
}

/**
 * Unpacks the tar stream `source` into the existing directory `dest`. Throws
 * TarFormatError for malformed or unsafe archives; `dest` is then in an
 * undefined state and should be discarded (callers unpack into a temp dir).
 */
export async function unpackTar(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  options: UnpackOptions,
): Promise<UnpackSummary> {
  const unpacker = new Unpacker(dest, {
    whiteouts: options.whiteouts,
    preserveOwnership: options.preserveOwnership ?? isRoot(),
  });
  return unpacker.run(source);
}
