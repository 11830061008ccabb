// /proc/self/mountinfo is the one reliable answer to "is X mounted?" and
// "where is the memory cgroup hierarchy?": `mount` output is for humans, and
// after an agent restart nothing in memory remembers what was mounted.

import { readFile } from 'node:fs/promises';

export interface MountInfoEntry {
  /** The directory inside the mounted filesystem that is mounted (field 4). */
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
  /** Per-mount options (field 6) followed by the filesystem's super options. */
  readonly options: readonly string[];
}

export async function readMountInfo(): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Exposed for tests. Format: proc(5); paths escape space, tab, newline and backslash as octal. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    // Optional fields (shared:N …) end with a lone "-"; the filesystem part follows it.
    const separator = fields.indexOf('-', 6);
    const root = fields[3];
    const mountPoint = fields[4];
    const mountOptions = fields[5];
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    const superOptions = fields[separator + 3];
    if (separator < 0 || !root || !mountPoint || !mountOptions || !fsType || source === undefined) continue;
    entries.push({
      root: unescapeOctal(root),
      mountPoint: unescapeOctal(mountPoint),
      fsType,
      source: unescapeOctal(source),
      options: [...mountOptions.split(','), ...(superOptions ? superOptions.split(',') : [])],
    });
  }
  return entries;
}

function unescapeOctal(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
