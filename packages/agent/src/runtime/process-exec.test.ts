// ctl exec's runtime half in the process driver: the command is another host
// process with the container's environment and working directory. Real
// processes and the compiled shim (npx tsc -b packages/agent); needs no root.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRuntime } from './process-runtime.js';
import type { ExecOptions } from './runtime.js';

describe('exec in the process driver', () => {
  let base: string;
  let runtime: ProcessRuntime;
  let id: string;
  let work: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-process-exec-'));
    work = join(base, 'work');
    await mkdir(work);
    runtime = new ProcessRuntime({ stateDir: join(base, 'state') });
    id = `sleeper-${randomBytes(2).toString('hex')}`;
    await runtime.start({ id, labels: {}, layers: [], argv: ['sleep', '600'], env: { GREETING: 'from the spec', PATH: '/usr/bin:/bin' }, workingDir: work, limits: {} });
  });

  afterAll(async () => {
    for (const c of (await runtime?.list()) ?? []) await runtime.remove(c.id).catch(() => undefined);
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  });

  const exec = async (command: string[], options: Partial<ExecOptions> = {}) => {
    const out: Buffer[] = [];
    const session = await runtime.exec(id, {
      command,
      stdin: false,
      tty: false,
      terminalSize: { width: 80, height: 24 },
      onOutput: (_stream, data) => out.push(data),
      ...options,
    });
    return { session, output: () => Buffer.concat(out).toString('utf8') };
  };

  it("runs in the container's working directory with its environment, and gives the exit code", async () => {
    const run = await exec(['sh', '-c', 'pwd; echo "$GREETING"; exit 7']);
    expect(await run.session.exited).toBe(7);
    expect(run.output()).toBe(`${work}\nfrom the spec\n`);
  });

  it('passes stdin on and gives a terminal of the requested size', async () => {
    const piped = await exec(['cat'], { stdin: true });
    piped.session.write(Buffer.from('echoed\n'));
    piped.session.closeStdin();
    expect(await piped.session.exited).toBe(0);
    expect(piped.output()).toBe('echoed\n');
    const tty = await exec(['sh', '-c', 'stty size; read line; stty size'], { stdin: true, tty: true, terminalSize: { width: 101, height: 21 } });
    await waitFor(() => tty.output().includes('21 101'), { timeoutMs: 10_000, description: 'the first size' });
    tty.session.resize({ width: 120, height: 40 });
    tty.session.write(Buffer.from('\r'));
    expect(await tty.session.exited).toBe(0);
    expect(tty.output()).toMatch(/21 101\r\n[\s\S]*40 120\r\n$/);
  });

  it('refuses an executable not in the PATH of the container', async () => {
    await expect(exec(['no-such-command'], { containerName: 'container main of pod default/p' })).rejects.toMatchObject({
      code: 5,
      message: 'cannot exec "no-such-command" in container main of pod default/p: executable file not found in $PATH',
    });
  });
});
