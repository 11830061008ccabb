// A streaming tar reader (POSIX ustar, pax extended headers, GNU long names)
// and a small header writer. Written here rather than taken from a library
// because unpacking image layers needs exact control over each entry (path
// checks, whiteouts, ownership, hard links) and the format itself is small.

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export interface TarEntry {
  /** As stored (after pax/GNU long-name substitution), not yet normalised. */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission and set-id bits (0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content (files only; 0 for everything else). */
  readonly size: number;
  /** Seconds since the epoch; may be fractional (pax). */
  readonly mtime: number;
  /** Target of a symlink or hard link. */
  readonly linkpath: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes from pax SCHILY.xattr.* records. */
  readonly xattrs: Readonly<Record<string, string>>;
}

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

const BLOCK = 512;
/** pax headers and GNU long names are buffered; larger ones are refused rather than trusted. */
const MAX_META_BYTES = 1024 * 1024;

/** Pulls exact byte counts out of a chunked stream. */
class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Buffers until `n` bytes are available or the stream ends; returns how many are. */
  private async fill(n: number): Promise<number> {
    while (this.buffer.length < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      if (next.value.byteLength > 0) {
        this.buffer = this.buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.buffer, next.value]);
      }
    }
    return Math.min(n, this.buffer.length);
  }

  /** Exactly `n` bytes, or undefined at a clean end of stream; a short read is an error. */
  async read(n: number): Promise<Buffer | undefined> {
    const available = await this.fill(n);
    if (available === 0 && n > 0) return undefined;
    if (available < n) throw new TarFormatError('unexpected end of archive');
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Up to `n` bytes in the pieces they arrive in; errors if the stream ends first. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffer.length === 0) {
        const available = await this.fill(1);
        if (available === 0) throw new TarFormatError('unexpected end of archive inside an entry');
      }
      const take = Math.min(left, this.buffer.length);
      const piece = this.buffer.subarray(0, take);
      this.buffer = this.buffer.subarray(take);
      left -= take;
      yield piece;
    }
  }

  /** Consumes and discards whatever is left of the stream. */
  async drain(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
    }
  }
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

/** Octal (NUL/space padded), or GNU base-256 when the high bit of the first byte is set. */
function readNumber(block: Buffer, offset: number, length: number, field: string): number {
  const first = block[offset] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new TarFormatError(`negative ${field}`);
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] ?? 0);
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} too large`);
    return value;
  }
  const text = block
    .subarray(offset, offset + length)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^[\0 ]+/, '');
  if (text.length === 0) return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`malformed ${field} ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = readNumber(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** pax records: "<len> <key>=<value>\n", where <len> counts the whole record. */
function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0 || pos + length > data.length) {
      throw new TarFormatError('malformed pax header');
    }
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarFormatError('malformed pax record');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'directory',
  '6': 'fifo',
};

function paxNumber(records: Map<string, string>, key: string, fallback: number): number {
  const text = records.get(key);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new TarFormatError(`malformed pax ${key} ${JSON.stringify(text)}`);
  return value;
}

/**
 * Yields each entry with its content. The caller may read `body` or ignore
 * it; whatever is left unread is skipped before the next entry. Ends at the
 * end-of-archive marker (or a clean end of stream) and then drains the source,
 * so a hash computed over the source covers every byte.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Buffer> }> {
  const reader = new ChunkReader(source);
  let globalPax = new Map<string, string>();
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;

  const readMeta = async (size: number, what: string): Promise<Buffer> => {
    if (size > MAX_META_BYTES) throw new TarFormatError(`${what} of ${size} bytes is too large`);
    const data = size === 0 ? Buffer.alloc(0) : await reader.read(size);
    if (!data) throw new TarFormatError(`unexpected end of archive in ${what}`);
    await reader.read(padding(size));
    return data;
  };

  for (;;) {
    const block = await reader.read(BLOCK);
    if (!block || block.every((byte) => byte === 0)) break;
    if (!checksumOk(block)) throw new TarFormatError('header checksum mismatch (not a tar archive, or corrupted)');

    const typeflag = String.fromCharCode(block[156] ?? 0);
    const headerSize = readNumber(block, 124, 12, 'size');
    switch (typeflag) {
      case 'x':
        pax = parsePax(await readMeta(headerSize, 'pax header'));
        continue;
      case 'g':
        globalPax = new Map([...globalPax, ...parsePax(await readMeta(headerSize, 'pax global header'))]);
        continue;
      case 'L':
        longName = readString(await readMeta(headerSize, 'GNU long name'), 0, headerSize);
        continue;
      case 'K':
        longLink = readString(await readMeta(headerSize, 'GNU long link name'), 0, headerSize);
        continue;
    }
    let type = TYPES[typeflag];
    if (!type) throw new TarFormatError(`unsupported tar entry type ${JSON.stringify(typeflag)}`);

    const records = new Map([...globalPax, ...pax]);
    const magic = block.subarray(257, 263).toString('latin1');
    // POSIX ustar splits long names into prefix + name; GNU tar uses that
    // space for other things and so must not be read as a prefix.
    const prefix = magic === 'ustar\0' ? readString(block, 345, 155) : '';
    const rawName = readString(block, 0, 100);
    const path = records.get('path') ?? longName ?? (prefix ? `${prefix}/${rawName}` : rawName);
    const linkpath = records.get('linkpath') ?? longLink ?? readString(block, 157, 100);
    // Pre-POSIX archives mark directories only by a trailing slash.
    if (type === 'file' && path.endsWith('/')) type = 'directory';
    if (path.length === 0) throw new TarFormatError('entry with an empty name');
    const size = paxNumber(records, 'size', headerSize);
    const xattrs: Record<string, string> = {};
    for (const [key, value] of records) {
      if (key.startsWith('SCHILY.xattr.')) xattrs[key.slice('SCHILY.xattr.'.length)] = value;
    }
    const entry: TarEntry = {
      path,
      type,
      mode: readNumber(block, 100, 8, 'mode') & 0o7777,
      uid: paxNumber(records, 'uid', readNumber(block, 108, 8, 'uid')),
      gid: paxNumber(records, 'gid', readNumber(block, 116, 8, 'gid')),
      size: type === 'file' ? size : 0,
      mtime: paxNumber(records, 'mtime', readNumber(block, 136, 12, 'mtime')),
      linkpath,
      devmajor: readNumber(block, 329, 8, 'devmajor'),
      devminor: readNumber(block, 337, 8, 'devminor'),
      xattrs,
    };
    pax = new Map();
    longName = undefined;
    longLink = undefined;

    // Some writers give hard links (and others) a size; the data is still
    // there and must be skipped even though the entry has no content.
    const dataSize = size;
    let consumed = 0;
    const body = (async function* (): AsyncGenerator<Buffer> {
      if (entry.type !== 'file') return;
      for await (const piece of reader.stream(dataSize - consumed)) {
        consumed += piece.length;
        yield piece;
      }
    })();
    yield { entry, body };
    // Skip what the caller did not read, then the padding to the block boundary.
    if (consumed < dataSize) {
      for await (const piece of reader.stream(dataSize - consumed)) consumed += piece.length;
    }
    await reader.read(padding(dataSize));
  }
  await reader.drain();
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

export interface TarHeaderInput {
  readonly path: string;
  readonly type: TarEntryType;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: number;
  readonly linkpath?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extra pax records, e.g. { 'SCHILY.xattr.trusted.overlay.opaque': 'y' }. */
  readonly pax?: Readonly<Record<string, string>>;
}

const TYPE_FLAGS: Readonly<Record<TarEntryType, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  directory: '5',
  fifo: '6',
};

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'latin1');
}

function header(name: string, typeflag: string, size: number, input: Partial<TarHeaderInput>): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, input.mode ?? 0o644);
  writeOctal(block, 108, 8, input.uid ?? 0);
  writeOctal(block, 116, 8, input.gid ?? 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.floor(input.mtime ?? 0));
  block.write('        ', 148, 8, 'latin1');
  block.write(typeflag, 156, 1, 'latin1');
  block.write(input.linkpath ?? '', 157, 100, 'utf8');
  block.write('ustar\0' + '00', 257, 8, 'latin1');
  writeOctal(block, 329, 8, input.devmajor ?? 0);
  writeOctal(block, 337, 8, input.devminor ?? 0);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function paxRecord(key: string, value: string): string {
  // The length prefix counts itself, so grow it until it is consistent.
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/**
 * One archive entry: a pax header when a name is too long or extra records
 * are given, the ustar header, the content, and padding. Concatenate entries
 * and end with TAR_END to make an archive.
 */
export function encodeTarEntry(input: TarHeaderInput, content: Uint8Array = new Uint8Array(0)): Buffer {
  const records: Record<string, string> = { ...input.pax };
  if (Buffer.byteLength(input.path) > 100) records['path'] = input.path;
  if (input.linkpath !== undefined && Buffer.byteLength(input.linkpath) > 100) records['linkpath'] = input.linkpath;
  const parts: Buffer[] = [];
  const paxKeys = Object.keys(records);
  if (paxKeys.length > 0) {
    const data = Buffer.from(paxKeys.map((key) => paxRecord(key, records[key] ?? '')).join(''), 'utf8');
    parts.push(header('PaxHeader', 'x', data.length, {}), data, Buffer.alloc(padding(data.length)));
  }
  const size = input.type === 'file' ? content.byteLength : 0;
  parts.push(header(input.path.slice(0, 100), TYPE_FLAGS[input.type], size, input));
  if (size > 0) parts.push(Buffer.from(content), Buffer.alloc(padding(size)));
  return Buffer.concat(parts);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END: Buffer = Buffer.alloc(2 * BLOCK);
