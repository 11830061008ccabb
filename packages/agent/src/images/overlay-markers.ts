// What Node cannot create in an unpacked layer: overlayfs whiteouts
// (character devices 0:0), the xattr that marks a directory opaque, and
// device and FIFO entries. Node has neither mknod nor setxattr, and `setfattr`
// is not installed on our machines, so GNU tar, which Debian always has,
// writes them: we hand it a small archive (built with tar-stream) of just the
// markers, the xattr in a pax SCHILY.xattr record. One tar process per layer,
// however many markers it has. Which markers to write, and that no path to
// one runs through a symlink, is decided by the caller (unpack-layer.ts).
import { spawn } from 'node:child_process';
import { packTar, type TarEntry, type TarInput } from './tar-entries.js';

export interface OverlayMarkers {
  /** Directories (relative to the layer root, '' for the root) to mark opaque. */
  readonly opaqueDirs: Iterable<string>;
  /** Paths hidden from lower layers. */
  readonly whiteouts: Iterable<string>;
  /** Devices and FIFOs from the archive, by path. */
  readonly specials: Iterable<readonly [string, TarEntry]>;
  /** The xattr name that marks a directory opaque (trusted.* or user.*). */
  readonly opaqueXattr: string;
  /** Apply the specials' uid/gid (else they are owned by 0:0, as tar run by anyone else would leave them). */
  readonly preserveOwnership: boolean;
}

/** The marker archive's entries; empty when there is nothing to write. */
function markerEntries(markers: OverlayMarkers): TarInput[] {
  const entries: TarInput[] = [];
  for (const dir of markers.opaqueDirs) {
    entries.push({
      name: dir === '' ? './' : `${dir}/`,
      type: 'directory',
      mode: 0o755,
      pax: { [`SCHILY.xattr.${markers.opaqueXattr}`]: 'y' },
    });
  }
  for (const hidden of markers.whiteouts) {
    entries.push({ name: hidden, type: 'character-device', mode: 0, devmajor: 0, devminor: 0 });
  }
  for (const [rel, entry] of markers.specials) {
    entries.push({
      name: rel,
      type: entry.type,
      mode: entry.mode,
      uid: markers.preserveOwnership ? entry.uid : 0,
      gid: markers.preserveOwnership ? entry.gid : 0,
      mtime: new Date(entry.mtime * 1000),
      devmajor: entry.devmajor,
      devminor: entry.devminor,
    });
  }
  return entries;
}

/** Writes `markers` into the layer directory `dest` with one GNU tar run (none when there are none). */
export async function writeOverlayMarkers(dest: string, markers: OverlayMarkers): Promise<void> {
  const entries = markerEntries(markers);
  if (entries.length === 0) return;
  await runTar(dest, await packTar(entries), markers.opaqueXattr);
}

function runTar(cwd: string, archive: Buffer, xattr: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(
      'tar',
      ['-x', '-f', '-', '-C', cwd, '--numeric-owner', '--xattrs', `--xattrs-include=${xattr}`],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error) => reject(new Error(`tar (for overlay whiteouts) could not run: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`tar (for overlay whiteouts) failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim()}`));
    });
    // An EPIPE after tar failed is reported by 'close' above, with tar's message.
    child.stdin.once('error', () => undefined);
    child.stdin.end(archive);
  });
}
