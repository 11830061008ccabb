import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError } from '@skiff/api';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, readPublicFile, readSecretFile, writePublicFile, writeSecretFile } from './key-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-key-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('writeSecretFile', () => {
  it('writes 0600 whatever the umask, creating missing directories 0700', async () => {
    const path = join(dir, 'a', 'b', 'secret');
    const previous = process.umask(0o000);
    try {
      await writeSecretFile(path, 'one');
    } finally {
      process.umask(previous);
    }
    expect(await readSecretFile(path)).toBe('one');
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(join(dir, 'a'))).toBe(0o700);
    expect(await modeOf(join(dir, 'a', 'b'))).toBe(0o700);
  });

  it('replaces a file whole, leaving no temp file behind, and leaves existing directories alone', async () => {
    await chmod(dir, 0o755);
    const path = join(dir, 'token');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeSecretFile(path, 'new');
    expect(await readSecretFile(path)).toBe('new');
    expect(await modeOf(path)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['token']);
    expect(await modeOf(dir)).toBe(0o755);
  });
});

describe('writePublicFile', () => {
  it('writes 0644', async () => {
    const path = join(dir, 'ca.crt');
    await writePublicFile(path, 'cert');
    expect(await modeOf(path)).toBe(0o644);
    expect(await readPublicFile(path)).toBe('cert');
  });
});

describe('readSecretFile and readPublicFile', () => {
  it('are undefined for a missing file', async () => {
    expect(await readSecretFile(join(dir, 'missing'))).toBeUndefined();
    expect(await readPublicFile(join(dir, 'missing'))).toBeUndefined();
  });

  it('tighten loose modes: secrets to 0600, certificates writable by others to 0644', async () => {
    const secret = join(dir, 'key');
    const cert = join(dir, 'crt');
    await writeFile(secret, 'k');
    await writeFile(cert, 'c');
    await chmod(secret, 0o640);
    await chmod(cert, 0o666);
    expect(await readSecretFile(secret)).toBe('k');
    expect(await readPublicFile(cert)).toBe('c');
    expect(await modeOf(secret)).toBe(0o600);
    expect(await modeOf(cert)).toBe(0o644);
  });

  it('leave stricter modes as they are', async () => {
    const secret = join(dir, 'key');
    await writeFile(secret, 'k');
    await chmod(secret, 0o400);
    expect(await readSecretFile(secret)).toBe('k');
    expect(await modeOf(secret)).toBe(0o400);
  });

  it('refuse a directory where a file belongs', async () => {
    await mkdir(join(dir, 'key'));
    await expect(readSecretFile(join(dir, 'key'))).rejects.toThrow(FailedPreconditionError);
    await expect(readSecretFile(join(dir, 'key'))).rejects.toThrow(`${join(dir, 'key')} is not a regular file`);
  });
});

describe('ensurePrivateDir', () => {
  it('creates 0700 and tightens an existing directory to 0700', async () => {
    await ensurePrivateDir(join(dir, 'pki'));
    expect(await modeOf(join(dir, 'pki'))).toBe(0o700);
    await chmod(join(dir, 'pki'), 0o755);
    await ensurePrivateDir(join(dir, 'pki'));
    expect(await modeOf(join(dir, 'pki'))).toBe(0o700);
  });

  it('refuses a file where the directory belongs', async () => {
    await writeFile(join(dir, 'pki'), '');
    await expect(ensurePrivateDir(join(dir, 'pki'))).rejects.toThrow(`${join(dir, 'pki')} is not a directory`);
  });
});

// Only root can make a file that the process cannot chmod (owned by root, read as another user).
describe.skipIf(skipUnlessRoot())('modes that cannot be fixed', () => {
  it('are refused with what to do', async () => {
    await chmod(dir, 0o755);
    const path = join(dir, 'ca.key');
    await writeFile(path, 'k', { mode: 0o644 });
    await chmod(path, 0o644);
    process.seteuid?.(65534);
    let caught: unknown;
    try {
      await readSecretFile(path);
    } catch (error) {
      caught = error;
    } finally {
      process.seteuid?.(0);
    }
    expect(caught).toBeInstanceOf(FailedPreconditionError);
    expect((caught as Error).message).toBe(
      `${path} has mode 0644 and cannot be changed to 0600 (EPERM): run skiff-controlplane as the file's owner, or fix it with chmod 600 ${path}`,
    );
    expect(await modeOf(path)).toBe(0o644);
  });
});
