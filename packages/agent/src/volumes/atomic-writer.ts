// kubelet's AtomicWriter, by hand (no npm library implements this layout, and
// what a container sees must match what Kubernetes shows it): a volume's
// files live in a timestamped directory `..2026_12_02_00_10_00.123456789`,
// `..data` is a symlink to it, and each user-visible name is a symlink
// through `..data` (`config.yaml -> ..data/config.yaml`). An update writes a
// new timestamped directory, points `..data_tmp` at it and renames that over
// `..data` — one atomic rename(2) — so a reader in the container sees either
// every old file or every new one, never a mix; then it adds the new
// user-visible names, drops those gone, and removes the old directory.
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileProjection {
  readonly data: Buffer;
  /** Permission bits (0 to 0777). */
  readonly mode: number;
}

/** Relative paths (no "..", not starting with "..") to file contents. */
export type Payload = ReadonlyMap<string, FileProjection>;

export interface WriteOptions {
  /** fsGroup: files get this group and group read (kubelet's SetVolumeOwnership for read-only volumes). */
  readonly gid?: number;
}

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/** Writes `payload` into `targetDir` as kubelet does; false when it already held exactly that. */
export async function writeAtomically(targetDir: string, payload: Payload, options: WriteOptions = {}): Promise<boolean> {
  for (const path of payload.keys()) {
    const problem = payloadPathProblem(path);
    if (problem) throw new Error(`invalid path ${JSON.stringify(path)} in the volume: ${problem}`);
  }
  await mkdir(targetDir, { recursive: true, mode: 0o755 });
  const oldName = await readlinkOrUndefined(join(targetDir, DATA));
  const visible = new Set([...payload.keys()].map((path) => path.split('/')[0] ?? path));
  if (oldName && (await holds(join(targetDir, oldName), payload, options)) && (await allVisible(targetDir, visible))) return false;

  const newDir = await mkdtemp(join(targetDir, `..${timestamp(new Date())}.`));
  try {
    await chmod(newDir, 0o755);
    for (const [path, file] of payload) {
      const target = join(newDir, path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      const mode = options.gid !== undefined ? file.mode | 0o440 : file.mode;
      await writeFile(target, file.data, { mode });
      await chmod(target, mode); // writeFile's mode is subject to the umask
      if (options.gid !== undefined) await chown(target, 0, options.gid);
    }
    const tmpLink = join(targetDir, DATA_TMP);
    await rm(tmpLink, { force: true });
    await symlink(basename(newDir), tmpLink);
    await rename(tmpLink, join(targetDir, DATA));
  } catch (error) {
    await rm(newDir, { recursive: true, force: true });
    throw error;
  }
  for (const name of visible) {
    const link = join(targetDir, name);
    if (!(await exists(link))) await symlink(join(DATA, name), link);
  }
  for (const entry of await readdir(targetDir)) {
    if (entry.startsWith('..') || visible.has(entry)) continue;
    await rm(join(targetDir, entry), { recursive: true, force: true });
  }
  if (oldName && oldName !== basename(newDir)) await rm(join(targetDir, oldName), { recursive: true, force: true });
  return true;
}

/** Why kubelet would refuse this path in a payload, or undefined. */
export function payloadPathProblem(path: string): string | undefined {
  if (path === '') return 'empty';
  if (path.startsWith('/')) return 'absolute';
  if (path.startsWith('..')) return "starts with '..'";
  const segments = path.split('/');
  if (segments.includes('..')) return "contains '..'";
  if (segments.some((segment) => segment === '' || segment === '.')) return 'has an empty or "." element';
  return undefined;
}

/** kubelet's name for a payload directory: `..` + UTC time to the second + `.` + a random suffix. */
function timestamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}_${pad(date.getUTCMonth() + 1)}_${pad(date.getUTCDate())}_${pad(date.getUTCHours())}_${pad(date.getUTCMinutes())}_${pad(date.getUTCSeconds())}`;
}

/** Whether `dir` holds exactly the payload: the same files, contents and modes, and nothing else. */
async function holds(dir: string, payload: Payload, options: WriteOptions): Promise<boolean> {
  const files = await listFiles(dir).catch(() => undefined);
  if (!files || files.length !== payload.size) return false;
  for (const path of files) {
    const wanted = payload.get(path);
    if (!wanted) return false;
    const info = await stat(join(dir, path));
    const mode = options.gid !== undefined ? wanted.mode | 0o440 : wanted.mode;
    if ((info.mode & 0o777) !== mode || (options.gid !== undefined && info.gid !== options.gid)) return false;
    if (!(await readFile(join(dir, path))).equals(wanted.data)) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), path)));
    else out.push(path);
  }
  return out;
}

async function allVisible(targetDir: string, names: ReadonlySet<string>): Promise<boolean> {
  for (const name of names) if (!(await exists(join(targetDir, name)))) return false;
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function readlinkOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
