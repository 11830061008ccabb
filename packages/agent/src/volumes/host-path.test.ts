import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHostPath } from './host-path.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-host-path-'));
  await mkdir(join(dir, 'd'));
  await writeFile(join(dir, 'f'), 'x');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hostPath types as kubelet checks them', () => {
  it('makes what the *OrCreate types lack, and checks nothing for ""', async () => {
    await checkHostPath(join(dir, 'new/dir'), 'DirectoryOrCreate');
    expect((await stat(join(dir, 'new/dir'))).isDirectory()).toBe(true);
    await checkHostPath(join(dir, 'other/file'), 'FileOrCreate');
    expect((await stat(join(dir, 'other/file'))).isFile()).toBe(true);
    await checkHostPath(join(dir, 'absent'), '');
    await checkHostPath(join(dir, 'absent'), undefined);
  });

  it('refuses a path that is not what its type says', async () => {
    await checkHostPath(join(dir, 'd'), 'Directory');
    await checkHostPath(join(dir, 'f'), 'File');
    await checkHostPath('/dev/null', 'CharDevice');
    await expect(checkHostPath(join(dir, 'f'), 'Directory')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'f')} is not a directory`);
    await expect(checkHostPath(join(dir, 'd'), 'FileOrCreate')).rejects.toThrow('is not a file');
    await expect(checkHostPath(join(dir, 'nope'), 'File')).rejects.toThrow('does not exist (type File needs a file)');
    await expect(checkHostPath('/dev/null', 'BlockDevice')).rejects.toThrow('is not a block device');
    const socketPath = join(dir, 's.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await checkHostPath(socketPath, 'Socket');
      await expect(checkHostPath(join(dir, 'f'), 'Socket')).rejects.toThrow('is not a socket file');
    } finally {
      server.close();
    }
  });
});
