// The one place that writes the control plane's secret files (keys, tokens,
// credentials) and the certificates beside them. Writes are atomic: a temp
// file created with the target's mode and O_EXCL in the same directory, synced, renamed over
// the target, the directory synced, so a crash leaves the old file or the new,
// never half of one. Content is never logged and never part of an error.
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FailedPreconditionError, writeFileAtomic } from '@skiff/api';

export const PRIVATE_DIR_MODE = 0o700;
export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

/** Bits a secret file or private directory must not have: any access for group or others. */
const GROUP_OTHER_ACCESS = 0o077;
/** Bits no file of ours may have: write access for group or others. */
const GROUP_OTHER_WRITE = 0o022;

/** Writes a secret file (mode 0600) atomically; missing parent directories are created 0700. */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  await writeWithMode(path, content, SECRET_FILE_MODE);
}

/** Writes a public file (a certificate: mode 0644) atomically; missing parent directories are created 0700. */
export async function writePublicFile(path: string, content: string): Promise<void> {
  await writeWithMode(path, content, PUBLIC_FILE_MODE);
}

/**
 * A secret file's content, or undefined when it does not exist. A file that
 * group or others may access is tightened to 0600 first; one that cannot be
 * (not ours, read-only file system) is refused.
 */
export async function readSecretFile(path: string): Promise<string | undefined> {
  return readChecked(path, GROUP_OTHER_ACCESS, SECRET_FILE_MODE);
}

/** A public file's content, or undefined when it does not exist; group- or world-writable files are tightened to 0644. */
export async function readPublicFile(path: string): Promise<string | undefined> {
  return readChecked(path, GROUP_OTHER_WRITE, PUBLIC_FILE_MODE);
}

/** Creates a directory (and missing parents) 0700, or tightens an existing one to 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await createMissingDirs(dir);
  const info = await stat(dir);
  if (!info.isDirectory()) throw new FailedPreconditionError(`${dir} is not a directory: move it away so that Skiff can create its directory there`);
  await tighten(dir, info.mode, GROUP_OTHER_ACCESS, PRIVATE_DIR_MODE);
}

async function writeWithMode(path: string, content: string, mode: number): Promise<void> {
  await createMissingDirs(dirname(path));
  await writeFileAtomic(path, content, { mode, syncDirectory: true });
}

/** Creates the directories of `dir` that do not exist, 0700 each; existing ones are left as they are. */
async function createMissingDirs(dir: string): Promise<void> {
  // EEXIST: something that is not a directory is in the way; the caller's next step names it.
  const first = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return undefined;
    throw error;
  });
  if (first === undefined) return;
  // mkdir's mode is filtered by the umask; set it exactly on each directory it created.
  for (let current = dir; ; current = dirname(current)) {
    await chmod(current, PRIVATE_DIR_MODE);
    if (current === first || dirname(current) === current) return;
  }
}

async function readChecked(path: string, forbidden: number, wanted: number): Promise<string | undefined> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!info.isFile()) throw new FailedPreconditionError(`${path} is not a regular file: move it away so that Skiff can write the file there`);
  await tighten(path, info.mode, forbidden, wanted);
  return readFile(path, 'utf8');
}

async function tighten(path: string, mode: number, forbidden: number, wanted: number): Promise<void> {
  if ((mode & forbidden) === 0) return;
  try {
    await chmod(path, wanted);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new FailedPreconditionError(
      `${path} has mode ${octal(mode)} and cannot be changed to ${octal(wanted)} (${code}): run skiff-controlplane as the file's owner, or fix it with chmod ${wanted.toString(8)} ${path}`,
    );
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
