import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILE } from './container-files.js';
import { ContainerStartError } from './start-error.js';
import { waitCreated } from './wait-created.js';

// The files conmon and runc leave in a container's directory, written by hand.
describe('waitCreated', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-wait-created-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves with the pid once runc renames the pid file into place', async () => {
    const waiting = waitCreated('c1', dir, 30_000);
    await writeFile(join(dir, 'tmp.pid'), '4242');
    await rename(join(dir, 'tmp.pid'), join(dir, FILE.pidFile));
    await expect(waiting).resolves.toMatchObject({ pid: 4242 });
  });

  it('a pid file already there resolves at once', async () => {
    await writeFile(join(dir, FILE.pidFile), '77\n');
    await expect(waitCreated('c1', dir, 30_000)).resolves.toMatchObject({ pid: 77 });
  });

  it('fails with runc\'s own error once conmon recorded an exit', async () => {
    const waiting = waitCreated('c1', dir, 30_000);
    await writeFile(join(dir, FILE.runcLog), `${JSON.stringify({ level: 'error', msg: 'exec: "nope": executable file not found in $PATH' })}\n`);
    await mkdir(join(dir, FILE.exitDir));
    await writeFile(join(dir, FILE.exitDir, 'c1'), '127');
    const failure = await waiting.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContainerStartError);
    expect((failure as Error).message).toMatch(/executable file not found/);
  });

  it('gives up after the timeout, saying so', async () => {
    await expect(waitCreated('c1', dir, 50)).rejects.toThrow(/not created after 50 ms/);
  });
});
