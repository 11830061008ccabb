// The process driver with real processes and the compiled shim
// (npx tsc -b packages/agent). Needs no root.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@skiff/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FILE, isShimRecord, readJsonFile } from './container-files.js';
import { isProcessAlive, readProcessStat } from './process-probe.js';
import { ProcessRuntime } from './process-runtime.js';
import type { ContainerSpec, ContainerState } from './runtime.js';
import { ContainerStartError } from './supervised-runtime.js';

const DIST_RUNTIME = fileURLToPath(new URL('../../dist/runtime/process-runtime.js', import.meta.url));

describe('ProcessRuntime', () => {
  let base: string;
  let stateDir: string;
  let runtime: ProcessRuntime;
  let counter = 0;

  const spec = (argv: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    id: `p${++counter}-${randomBytes(2).toString('hex')}`,
    labels: { test: 'process' },
    layers: [],
    argv,
    env: {},
    limits: {},
    ...extra,
  });

  const exited = (id: string): Promise<ContainerState> =>
    waitFor(
      async () => {
        const state = await runtime.state(id);
        return state?.status === 'exited' ? state : undefined;
      },
      { timeoutMs: 10_000, description: `process ${id} to exit` },
    );

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-process-'));
    stateDir = join(base, 'state');
    runtime = new ProcessRuntime({ stateDir });
  });

  afterEach(async () => {
    for (const c of await runtime.list()) await runtime.remove(c.id).catch(() => undefined);
  });

  afterAll(async () => {
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  });

  it('records exit codes and writes output to the log file', async () => {
    const s = spec(['sh', '-c', 'echo "hello $WHO"; exit 3'], { env: { WHO: 'world' } });
    await runtime.start(s);
    const done = await exited(s.id);
    expect(done).toMatchObject({ status: 'exited', exitCode: 3, oomKilled: false, labels: { test: 'process' } });
    expect(await readFile(done.logPath, 'utf8')).toBe('hello world\n');
  });

  it('does not leak the agent environment, but resolves commands on the host PATH', async () => {
    process.env['SKIFF_SECRET_FOR_TEST'] = 'leak';
    try {
      const s = spec(['sh', '-c', 'echo "[$SKIFF_SECRET_FOR_TEST]"; pwd'], { workingDir: base });
      await runtime.start(s);
      const done = await exited(s.id);
      expect(await readFile(done.logPath, 'utf8')).toBe(`[]\n${base}\n`);
    } finally {
      delete process.env['SKIFF_SECRET_FOR_TEST'];
    }
  });

  it('stops a process that honours SIGTERM right away', async () => {
    const s = spec(['sleep', '300']);
    expect((await runtime.start(s)).status).toBe('running');
    const t0 = performance.now();
    const done = await runtime.stop(s.id, 10_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(done).toMatchObject({ status: 'exited', exitCode: 143 });
  });

  it('KILLs a process group that ignores SIGTERM after the grace period', async () => {
    const graceMs = 1_000;
    const s = spec(['sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    const started = await runtime.start(s);
    expect(started.status).toBe('running');
    const t0 = performance.now();
    const done = await runtime.stop(s.id, graceMs);
    const took = performance.now() - t0;
    expect(done).toMatchObject({ status: 'exited', exitCode: 137 });
    expect(took).toBeGreaterThanOrEqual(graceMs);
    expect(took).toBeLessThan(graceMs + 3_000);
    expect(await isProcessAlive(started.pid ?? -1)).toBe(false);
  });

  it('kills what the main process leaves behind in its group when it exits', async () => {
    const s = spec(['sh', '-c', 'sleep 300 & echo $!']);
    await runtime.start(s);
    const done = await exited(s.id);
    const orphan = Number.parseInt((await readFile(done.logPath, 'utf8')).trim(), 10);
    await waitFor(async () => !(await isProcessAlive(orphan)), { timeoutMs: 5_000, description: 'the orphan to die' });
  });

  it('adopts running processes from a new instance over the same state dir', async () => {
    const s = spec(['sleep', '300']);
    const started = await runtime.start(s);
    const adopted = new ProcessRuntime({ stateDir });
    const listed = await adopted.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: s.id, status: 'running', pid: started.pid, startedAt: started.startedAt });
    const done = await adopted.stop(s.id, 2_000);
    expect(done).toMatchObject({ status: 'exited', exitCode: 143 });
    expect((await runtime.state(s.id))?.exitCode).toBe(143);
  });

  it('keeps the process and its shim running when the agent is killed with SIGKILL', async () => {
    const s = spec(['sleep', '300']);
    const agent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { ProcessRuntime } = await import(${JSON.stringify(DIST_RUNTIME)});
         const input = JSON.parse(process.env.SKIFF_TEST_INPUT);
         const state = await new ProcessRuntime({ stateDir: input.stateDir }).start(input.spec);
         process.stdout.write(JSON.stringify(state) + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SKIFF_TEST_INPUT: JSON.stringify({ stateDir, spec: s }) } },
    );
    const agentGone = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: agent.stdout }).once('line', resolve);
        agent.once('exit', (code) => reject(new Error(`stand-in agent exited with ${code}`)));
      });
      const started = JSON.parse(line) as ContainerState;
      const shim = await readJsonFile(join(stateDir, 'containers', s.id, FILE.shim), isShimRecord);
      if (shim === undefined) throw new Error('no shim.json');
      expect((await readProcessStat(shim.shimPid))?.sessionId).toBe(shim.shimPid);
      // The process has its own session too: not in the agent's or the shim's group.
      expect((await readProcessStat(started.pid ?? -1))?.sessionId).toBe(started.pid);

      agent.kill('SIGKILL');
      await agentGone;

      expect(await isProcessAlive(shim.shimPid, shim.shimStartTicks)).toBe(true);
      expect(await runtime.state(s.id)).toMatchObject({ status: 'running', pid: started.pid });
      expect(await runtime.stop(s.id, 2_000)).toMatchObject({ status: 'exited', exitCode: 143 });
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('fails start() for a missing command or working dir, leaving nothing behind', async () => {
    const missing = spec(['no-such-command-xyz']);
    await expect(runtime.start(missing)).rejects.toBeInstanceOf(ContainerStartError);
    expect(existsSync(join(stateDir, 'containers', missing.id))).toBe(false);
    const badCwd = spec(['true'], { workingDir: join(base, 'nope') });
    await expect(runtime.start(badCwd)).rejects.toThrow(/workingDir/);
    expect(await runtime.list()).toEqual([]);
  });

  it('remove() deletes the state and the log, and is a no-op for unknown ids', async () => {
    const s = spec(['sleep', '300']);
    const started = await runtime.start(s);
    await runtime.remove(s.id);
    expect(existsSync(started.logPath)).toBe(false);
    expect(await runtime.state(s.id)).toBeUndefined();
    expect(await isProcessAlive(started.pid ?? -1)).toBe(false);
    await runtime.remove(s.id);
  });
});
