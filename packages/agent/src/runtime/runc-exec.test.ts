// ctl exec's runtime half against real runc + conmon containers: needs root,
// runc, conmon and a static busybox (skipped otherwise, failing under CI).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot, waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuncRuntime } from './runc-runtime.js';
import type { ContainerSpec, ExecOptions, ExecSession } from './runtime.js';
import { forceCleanup, instanceCgroupDirs, removeAll } from './test-cleanup.js';
import { makeBusyboxLayer } from './test-rootfs.js';

describe.skipIf(skipUnlessRoot({ commands: ['runc', 'conmon'], files: ['/bin/busybox'] }))('exec in runc containers (real runc)', () => {
  const instance = `test-exec-${randomBytes(3).toString('hex')}`;
  let base: string;
  let runtime: RuncRuntime;
  let id: string;
  let stoppedId: string;

  const spec = (name: string, argv: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    id: `${name}-${randomBytes(2).toString('hex')}`,
    labels: {},
    layers: [join(base, 'layer')],
    argv,
    env: { GREETING: 'hello from the container' },
    limits: {},
    ...extra,
  });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-exec-'));
    await makeBusyboxLayer(join(base, 'layer'));
    runtime = new RuncRuntime({ stateDir: join(base, 'state'), instanceName: instance });
    const main = spec('main', ['sleep', '600'], { workingDir: '/www', security: { uid: 1000, gid: 1000 } });
    id = main.id;
    await runtime.start(main);
    const done = spec('done', ['true']);
    stoppedId = done.id;
    await runtime.start(done);
    await waitFor(async () => (await runtime.state(stoppedId))?.status === 'exited', { timeoutMs: 15_000, description: 'the short container to exit' });
  }, 60_000);

  afterAll(async () => {
    if (runtime === undefined) return;
    await removeAll(runtime);
    await forceCleanup(runtime, base);
    const leftovers = await instanceCgroupDirs(instance);
    await rm(base, { recursive: true, force: true });
    expect(leftovers).toEqual([]);
  }, 60_000);

  /** Starts an exec that collects its output. */
  const exec = async (command: string[], options: Partial<ExecOptions> = {}) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const session: ExecSession = await runtime.exec(id, {
      command,
      stdin: false,
      tty: false,
      terminalSize: { width: 80, height: 24 },
      onOutput: (stream, data) => (stream === 'stdout' ? out : err).push(data),
      ...options,
    });
    const text = () => Buffer.concat(out).toString('utf8');
    return { session, stdout: text, stderr: () => Buffer.concat(err).toString('utf8') };
  };

  it("runs as the container's user, in its working directory, with its environment", async () => {
    const run = await exec(['sh', '-c', 'id -u; id -g; pwd; echo "$GREETING"; echo oops >&2']);
    expect(await run.session.exited).toBe(0);
    expect(run.stdout()).toBe('1000\n1000\n/www\nhello from the container\n');
    expect(run.stderr()).toBe('oops\n');
  });

  it('passes stdin through pipes and ends it on closeStdin', async () => {
    const run = await exec(['cat'], { stdin: true });
    run.session.write(Buffer.from('line one\n'));
    run.session.write(Buffer.from('line two\n'));
    run.session.closeStdin();
    expect(await run.session.exited).toBe(0);
    expect(run.stdout()).toBe('line one\nline two\n');
  });

  it("gives the command's exit code, not an error", async () => {
    const run = await exec(['sh', '-c', 'exit 3']);
    expect(await run.session.exited).toBe(3);
  });

  it('gives a terminal of the requested size, and resizes it', async () => {
    const run = await exec(['sh'], { stdin: true, tty: true, terminalSize: { width: 91, height: 17 } });
    // Typed once the shell prompts: what comes earlier may be lost while it sets up its line editing.
    await waitFor(() => run.stdout().includes('/www $ '), { timeoutMs: 10_000, description: 'the prompt of user 1000 in /www' });
    run.session.write(Buffer.from('busybox tty; busybox stty size\n'));
    // Line ends as the terminal renders them: once CI saw "\r\r\n" for every line (an ONLCR applied twice
    // somewhere between the container's console and the host pty), which a terminal shows the same.
    await waitFor(() => /\/dev\/pts\/\d+\r*\n17 91/.test(run.stdout()), { timeoutMs: 10_000, description: 'tty and size' }).catch((error: unknown) => {
      throw new Error(`${String(error)}; got ${JSON.stringify(run.stdout())}`);
    });
    run.session.resize({ width: 132, height: 43 });
    // The resize reaches runc as SIGWINCH, asynchronously: ask until the container's console has it.
    await waitFor(
      () => {
        run.session.write(Buffer.from('busybox stty size\n'));
        return /43 132/.test(run.stdout());
      },
      { timeoutMs: 10_000, intervalMs: 200, description: `the new size (got ${JSON.stringify(run.stdout())})` },
    );
    run.session.write(Buffer.from('exit 5\n'));
    expect(await run.session.exited).toBe(5);
  });

  it('closing stdin of a terminal ends a shell like ^D', async () => {
    const run = await exec(['sh'], { stdin: true, tty: true });
    await waitFor(() => run.stdout().includes('/www $ '), { timeoutMs: 10_000, description: 'the prompt of user 1000 in /www' });
    run.session.closeStdin();
    expect(await run.session.exited).toBe(0);
  });

  it('hangs the command up when the caller leaves', async () => {
    const run = await exec(['sleep', '600']);
    run.session.kill();
    expect(await run.session.exited).toBe(128 + 1);
  });

  it('refuses an executable that does not exist, with and without a terminal', async () => {
    for (const tty of [false, true]) {
      const run = await exec(['no-such-command', 'x'], { tty, containerName: 'container main of pod default/p' });
      await expect(run.session.exited).rejects.toMatchObject({
        code: 5,
        message: expect.stringMatching(/^cannot exec "no-such-command" in container main of pod default\/p: exec: "no-such-command": executable file not found in \$PATH/),
      });
      // runc's own complaint on its stderr (or terminal) is not passed on as the command's output.
      expect({ stdout: run.stdout(), stderr: run.stderr() }).toEqual({ stdout: '', stderr: '' });
    }
  });

  it('refuses a container that is not running, or not there', async () => {
    const options = { command: ['true'], stdin: false, tty: false, terminalSize: { width: 80, height: 24 }, onOutput: () => undefined };
    await expect(runtime.exec(stoppedId, options)).rejects.toMatchObject({ code: 9, message: `container ${stoppedId} is not running` });
    await expect(runtime.exec('nope', options)).rejects.toMatchObject({ code: 5, message: 'container nope not found on this node' });
  });
});
