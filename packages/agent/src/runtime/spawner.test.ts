// The spawner helper against real perl and real commands (no root needed).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnError, Spawner, spawnDirect } from './spawner.js';

describe('Spawner', () => {
  let spawner: Spawner;
  let dir: string;
  beforeAll(async () => {
    spawner = new Spawner();
    dir = await mkdtemp(join(tmpdir(), 'skiff-spawner-'));
  });
  afterAll(async () => {
    spawner.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns exit code, stdout and stderr, and feeds stdin', async () => {
    expect(await spawner.run({ file: 'echo', args: ['a b', 'c'] })).toEqual({ code: 0, signal: null, stdout: 'a b c\n', stderr: '' });
    expect(await spawner.run({ file: 'sh', args: ['-c', 'cat; echo oops >&2; exit 3'], input: 'line 1\nline 2\n' })).toEqual({
      code: 3,
      signal: null,
      stdout: 'line 1\nline 2\n',
      stderr: 'oops\n',
    });
  });

  it('reports a signal, and kills a command past its timeout', async () => {
    expect(await spawner.run({ file: 'sh', args: ['-c', 'kill -TERM $$'] })).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(await spawner.run({ file: 'sleep', args: ['30'], timeoutMs: 1000 })).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('uses the environment and directory given', async () => {
    const result = await spawner.run({ file: 'sh', args: ['-c', 'echo "$ONLY:$HOME"; pwd'], env: { ONLY: 'x', PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, cwd: dir });
    expect(result.stdout).toBe(`x:\n${dir}\n`);
  });

  it('rejects with the errno name when the command cannot start, as child_process does', async () => {
    const error = await spawner.run({ file: 'skiff-no-such-command', args: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).code).toBe('ENOENT');
    const direct = await spawnDirect({ file: 'skiff-no-such-command', args: [] }).catch((e: unknown) => e);
    expect((direct as SpawnError).code).toBe('ENOENT');
  });

  it('starts a detached command in its own session, its output appended to a file made 0600', async () => {
    const log = join(dir, 'out.log');
    const result = await spawner.run({ file: 'sh', args: ['-c', 'echo out; echo err >&2; ps -o sid= -p $$; echo $$'], detached: true, output: { appendTo: log }, cwd: '/' });
    expect(result.code).toBe(0);
    const [out, err, sid, pid] = (await readFile(log, 'utf8')).trim().split('\n').map((l) => l.trim());
    expect([out, err]).toEqual(['out', 'err']);
    expect(sid).toBe(pid);
    expect((await stat(log)).mode & 0o777).toBe(0o600);
  });

  it('runs many commands at once and answers each its own', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => spawner.run({ file: 'sh', args: ['-c', `echo ${i}; echo e${i} >&2`] })));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 60 }, (_, i) => `${i}\n`));
    expect(results.map((r) => r.stderr)).toEqual(Array.from({ length: 60 }, (_, i) => `e${i}\n`));
  });

  it('passes output larger than a pipe', async () => {
    const result = await spawner.run({ file: 'sh', args: ['-c', 'head -c 300000 /dev/zero | tr "\\0" x'] });
    expect(result.stdout.length).toBe(300_000);
  });

  it('rejects with ENOENT when perl itself is missing (spawnCommand then uses child_process)', async () => {
    const error = await new Spawner('/nonexistent/perl').run({ file: 'true', args: [] }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SpawnError);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('fails commands in flight when the helper dies, and refuses new ones', async () => {
    const doomed = new Spawner();
    const running = doomed.run({ file: 'sleep', args: ['2'] });
    process.kill(doomed.pid ?? 0, 'SIGKILL');
    await expect(running).rejects.toThrow(/spawner helper ended/);
    expect(doomed.alive).toBe(false);
    await expect(doomed.run({ file: 'true', args: [] })).rejects.toThrow(/spawner helper ended/);
  });
});
