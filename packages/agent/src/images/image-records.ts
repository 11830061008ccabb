// The small records an image store keeps beside its content: which digest
// each reference last resolved to (references.json) and when each image was
// last used (last-used.json, for garbage collection). Read-modify-write under
// one in-process lock, each file replaced atomically.
import { isRecord } from '@skiff/api/core';
import { writeFileAtomic } from '@skiff/api/atomic-file';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from './digest.js';

const REFERENCES_FILE = 'references.json';
const LAST_USED_FILE = 'last-used.json';
/** A use this close to the recorded one is not written again: the start path stays free of writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class ImageRecords {
  private lock: Promise<unknown> = Promise.resolve();
  private lastUsed: Map<string, number> | undefined;

  constructor(
    private readonly root: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Canonical reference → digest. */
  references(): Promise<Record<string, string>> {
    return readStrings(join(this.root, REFERENCES_FILE));
  }

  /** Records key → digest. */
  record(key: string, digest: string): Promise<void> {
    digestHex(digest); // only well-formed digests are ever recorded
    return this.update(REFERENCES_FILE, (records) => {
      if (records[key] === digest) return false;
      records[key] = digest;
      return true;
    });
  }

  /** When each image (by digest) was last used; 0 when never recorded. */
  async lastUse(): Promise<Map<string, number>> {
    await this.lock;
    this.lastUsed ??= new Map(Object.entries(await readNumbers(join(this.root, LAST_USED_FILE))));
    return new Map(this.lastUsed);
  }

  /** Marks `digest` used now. */
  async touch(digest: string): Promise<void> {
    const now = this.now();
    const known = (await this.lastUse()).get(digest);
    if (known !== undefined && now - known < LAST_USED_RESOLUTION_MS) return;
    this.lastUsed?.set(digest, now);
    await this.update(LAST_USED_FILE, (records) => {
      records[digest] = now;
      return true;
    });
  }

  /** Forgets every reference to `digest` and its last use. */
  async forget(digest: string): Promise<void> {
    await this.update(REFERENCES_FILE, (records) => {
      let changed = false;
      for (const [key, value] of Object.entries(records)) {
        if (value !== digest) continue;
        delete records[key];
        changed = true;
      }
      return changed;
    });
    this.lastUsed?.delete(digest);
    await this.update(LAST_USED_FILE, (records) => delete records[digest]);
  }

  private update<T extends string | number>(file: string, change: (records: Record<string, T>) => boolean): Promise<void> {
    const path = join(this.root, file);
    const run = this.lock.then(async () => {
      const records = (file === LAST_USED_FILE ? await readNumbers(path) : await readStrings(path)) as Record<string, T>;
      if (!change(records)) return;
      await writeFileAtomic(path, `${JSON.stringify(records, null, 2)}\n`);
    });
    this.lock = run.catch(() => undefined);
    return run;
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  return isRecord(parsed) ? parsed : {};
}

async function readStrings(path: string): Promise<Record<string, string>> {
  const records: Record<string, string> = {};
  for (const [key, value] of Object.entries(await readJson(path))) if (typeof value === 'string') records[key] = value;
  return records;
}

async function readNumbers(path: string): Promise<Record<string, number>> {
  const records: Record<string, number> = {};
  for (const [key, value] of Object.entries(await readJson(path))) if (typeof value === 'number') records[key] = value;
  return records;
}
