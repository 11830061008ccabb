// Tar archives through tar-stream: an archive's entries as the unpacker sees
// them (tar-stream parses; this only feeds it and settles pax overrides), and
// small archives built in memory (overlay markers for GNU tar, test layers).
// What an entry may do to a layer directory is decided in unpack-layer.ts.
import { status } from '@grpc/grpc-js';
import { SkiffError, isRecord, messageOf } from '@skiff/api/core';
import { constants } from 'node:fs';
import tar, { type Extract, type Header } from 'tar-stream';

/** The entry types a layer may hold (tar-stream's names; contiguous files are read as files). */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';

export interface TarEntry {
  /** As stored (after pax and GNU long-name substitution), not yet normalised. */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission and set-id bits (0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch; may be fractional (pax). */
  readonly mtime: number;
  /** Target of a symlink or hard link. */
  readonly linkpath: string;
  readonly devmajor: number;
  readonly devminor: number;
}

/** A malformed archive, or one whose entries a layer must not contain. */
export class TarFormatError extends SkiffError {
  readonly code = status.INVALID_ARGUMENT;
}

/** One entry as tar-stream's extractor yields it: a stream of its content, with its header. */
type Entry = Extract extends AsyncIterable<infer T> ? T : never;

const ENTRY_TYPES: Readonly<Record<string, TarEntryType>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'link',
  'character-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

/** A header number, a pax record overriding it (pax carries large ids and fractional times). */
function numberField(pax: Record<string, string>, key: string, header: number | undefined, path: string): number {
  const text = pax[key];
  const value = text !== undefined ? Number(text) : (header ?? 0);
  if (!Number.isFinite(value) || value < 0) {
    throw new TarFormatError(`entry ${JSON.stringify(path)} has a malformed ${key} ${JSON.stringify(text ?? header)}`);
  }
  return value;
}

/** The entry's pax records (path, linkpath and size tar-stream has applied already). */
function paxRecords(header: Header): Record<string, string> {
  const records: Record<string, string> = {};
  if (isRecord(header.pax)) for (const [key, value] of Object.entries(header.pax)) if (typeof value === 'string') records[key] = value;
  return records;
}

function toEntry(header: Header): TarEntry {
  const path = header.name;
  // tar-stream reports types it does not know (GNU sparse files, volume labels…) as null.
  const type = ENTRY_TYPES[String(header.type)];
  if (!type) throw new TarFormatError(`entry ${JSON.stringify(path)} has an unsupported type`);
  const pax = paxRecords(header);
  const mtime = header.mtime instanceof Date ? header.mtime.getTime() / 1000 : 0;
  return {
    path,
    type,
    mode: (header.mode ?? 0) & 0o7777,
    uid: numberField(pax, 'uid', header.uid, path),
    gid: numberField(pax, 'gid', header.gid, path),
    mtime: numberField(pax, 'mtime', mtime, path),
    linkpath: header.linkname ?? '',
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
  };
}

/** Resolves once `stream` wants more data, or is gone. */
function writable(stream: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Writes all of `source` into the extractor, then ends it; stops early if the extractor is destroyed. */
async function feed(source: AsyncIterable<Uint8Array>, extract: Extract): Promise<void> {
  for await (const chunk of source) {
    if (extract.destroyed) return;
    if (!extract.write(chunk) && !extract.destroyed) await writable(extract);
  }
  extract.end(null);
}

/**
 * Yields each entry with its content. The caller reads `body` to its end or
 * not at all (unread content is skipped). The whole source is consumed, so a
 * hash computed over it covers every byte. A source failure is rethrown as
 * is; anything tar-stream refuses becomes a TarFormatError.
 */
export async function* readTarEntries(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Buffer> }> {
  // Old (v7) archives carry no ustar magic; a corrupt header still fails its checksum.
  // (tar-stream's typings omit the option.)
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  let sourceFailure: { error: unknown } | undefined;
  const feeding = feed(source, extract).catch((error: unknown) => {
    sourceFailure = { error };
    extract.destroy(error instanceof Error ? error : new Error(messageOf(error)));
  });
  const classify = (error: unknown): unknown => {
    if (error instanceof TarFormatError) return error;
    if (sourceFailure) return sourceFailure.error;
    return new TarFormatError(`malformed archive: ${messageOf(error)}`, { cause: error });
  };
  const entries: AsyncIterator<Entry> = extract[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw classify(error);
      }
      if (next.done) break;
      const stream = next.value;
      let started = false;
      const body = (async function* (): AsyncGenerator<Buffer> {
        started = true;
        try {
          for await (const piece of stream) yield piece as Buffer;
        } catch (error) {
          throw classify(error);
        }
      })();
      yield { entry: toEntry(stream.header), body };
      // Content nobody read (a hard link's, a whiteout's) is consumed here, or the extractor stalls.
      if (!started) for await (const piece of body) void piece;
    }
  } finally {
    extract.destroy();
    await feeding;
  }
}

/** One entry of an archive built with packTar: tar-stream's header, pax records, file content. */
export type TarInput = Partial<Omit<Header, 'pax'>> & {
  readonly name: string;
  /** Extra pax records, e.g. { 'SCHILY.xattr.trusted.overlay.opaque': 'y' }. */
  readonly pax?: Readonly<Record<string, string>>;
  readonly content?: string | Buffer;
};

/** File-type bits by entry type: tar-stream replaces a mode of 0 by its default, a mode of only type bits it keeps as 0. */
const TYPE_BITS: Readonly<Record<string, number>> = {
  file: constants.S_IFREG,
  directory: constants.S_IFDIR,
  symlink: constants.S_IFLNK,
  link: constants.S_IFREG,
  'character-device': constants.S_IFCHR,
  'block-device': constants.S_IFBLK,
  fifo: constants.S_IFIFO,
};

/** An archive of `entries` in memory (mtime defaults to the epoch, mode to tar-stream's 0644/0755). */
export async function packTar(entries: readonly TarInput[]): Promise<Buffer> {
  const packer = tar.pack();
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of packer) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  // Awaited below; this only keeps a failure from being reported as unhandled meanwhile.
  collected.catch(() => undefined);
  try {
    for (const { content, ...header } of entries) {
      const type = header.type ?? 'file';
      const mode = header.mode === 0 ? (TYPE_BITS[type] ?? 0) : header.mode;
      const fields = { mtime: new Date(0), ...header, type, mode };
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error | null): void => (error ? reject(error) : resolve());
        if (type === 'file' || content !== undefined) packer.entry(fields, Buffer.from(content ?? ''), done);
        else packer.entry(fields, done);
      });
    }
    packer.finalize();
  } catch (error) {
    packer.destroy(error instanceof Error ? error : new Error(messageOf(error)));
    throw error;
  }
  return collected;
}
