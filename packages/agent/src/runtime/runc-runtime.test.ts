// The runc driver against real runc, conmon, overlayfs and cgroups: needs root,
// runc, conmon, iproute2 and a static busybox (skipped otherwise, failing under
// CI); the adoption test also needs the compiled agent (npx tsc -b packages/agent).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { skipUnlessRoot, waitFor } from '@skiff/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cgroupDir } from './cgroup-fs.js';
import { FILE, isMonitorRecord, readJsonFile } from './container-files.js';
import { parseCriLog } from './cri-log.js';
import { InvalidContainerIdError } from './container-id.js';
import { ContainerExistsError } from './container-store.js';
import { isMounted } from './overlay-rootfs.js';
import { isProcessAlive, readProcessStat } from './process-probe.js';
import { RuncRuntime } from './runc-runtime.js';
import type { ContainerSpec, ContainerState } from './runtime.js';
import { ContainerStartError } from './start-error.js';
import { forceCleanup, instanceCgroupDirs, removeAll } from './test-cleanup.js';
import { makeBusyboxLayer } from './test-rootfs.js';

const DIST_RUNTIME = fileURLToPath(new URL('../../dist/runtime/runc-runtime.js', import.meta.url));

describe.skipIf(skipUnlessRoot({ commands: ['runc', 'conmon', 'ip'], files: ['/bin/busybox'] }))('RuncRuntime (real runc)', () => {
  const instance = `test-${randomBytes(4).toString('hex')}`;
  let base: string;
  let layer: string;
  let stateDir: string;
  let runtime: RuncRuntime;
  let counter = 0;
  const nextId = (): string => `c${++counter}-${randomBytes(2).toString('hex')}`;

  const spec = (argv: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    id: nextId(),
    labels: { test: 'runc' },
    layers: [layer],
    argv,
    env: {},
    limits: {},
    ...extra,
  });

  const exited = (id: string, timeoutMs = 15_000): Promise<ContainerState> =>
    waitFor(
      async () => {
        const state = await runtime.state(id);
        return state?.status === 'exited' ? state : undefined;
      },
      { timeoutMs, description: `container ${id} to exit` },
    );

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-runc-'));
    layer = await makeBusyboxLayer(join(base, 'layer'));
    stateDir = join(base, 'state');
    runtime = new RuncRuntime({ stateDir, instanceName: instance });
  });

  const monitorOf = async (id: string) => {
    const monitor = await readJsonFile(join(stateDir, 'containers', id, FILE.monitor), isMonitorRecord);
    if (monitor?.conmonPid === undefined) throw new Error('no conmon pid in monitor.json');
    return monitor;
  };

  afterEach(async () => {
    await removeAll(runtime);
  });

  afterAll(async () => {
    if (runtime === undefined) return;
    await removeAll(runtime);
    await forceCleanup(runtime, base);
    const leftovers = await instanceCgroupDirs(instance);
    await rm(base, { recursive: true, force: true });
    expect(leftovers).toEqual([]);
  });

  it('runs `echo hello` to exit code 0 with "hello" in the log file', async () => {
    const s = spec(['echo', 'hello']);
    const started = await runtime.start(s);
    expect(started.id).toBe(s.id);
    expect(started.labels).toEqual({ test: 'runc' });
    const done = await exited(s.id);
    expect(done).toMatchObject({ status: 'exited', exitCode: 0, oomKilled: false });
    expect(done.startedAt).toBeDefined();
    expect(done.finishedAt).toBeDefined();
    expect(await output(done.logPath)).toBe('hello\n');
  });

  it("reports the process's exit code (sh -c 'exit 3')", async () => {
    const s = spec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    await runtime.start(s);
    const done = await exited(s.id);
    expect(done.exitCode).toBe(3);
    expect((await output(done.logPath)).split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('passes env, working dir and hostname, and isolates the network by default', async () => {
    const s = spec(['sh', '-c', 'echo "$FOO"; pwd; hostname; cat /proc/net/dev'], {
      env: { FOO: 'bar baz' },
      workingDir: '/www',
      hostname: 'box-1',
    });
    await runtime.start(s);
    const done = await exited(s.id);
    expect(done.exitCode).toBe(0);
    const lines = (await output(done.logPath)).split('\n');
    expect(lines.slice(0, 3)).toEqual(['bar baz', '/www', 'box-1']);
    // A fresh network namespace has only loopback.
    const interfaces = lines.slice(3).filter((l) => l.includes(':')).map((l) => l.split(':')[0]?.trim());
    expect(interfaces).toEqual(['lo']);
  });

  it('joins the network namespace it is given', async () => {
    const netns = `skiff-t-${randomBytes(3).toString('hex')}`;
    expect(spawnSync('ip', ['netns', 'add', netns]).status).toBe(0);
    try {
      const s = spec(['readlink', '/proc/self/ns/net'], { netnsPath: `/var/run/netns/${netns}` });
      await runtime.start(s);
      const done = await exited(s.id);
      const inode = spawnSync('stat', ['-L', '-c', '%i', `/var/run/netns/${netns}`], { encoding: 'utf8' }).stdout.trim();
      expect((await output(done.logPath)).trim()).toBe(`net:[${inode}]`);
    } finally {
      spawnSync('ip', ['netns', 'del', netns]);
    }
  });

  it('stops a container that handles SIGTERM without waiting out the grace period', async () => {
    const s = spec(['sh', '-c', 'trap "echo bye; exit 0" TERM; echo armed; sleep 300 & wait']);
    await startArmed(runtime, s);
    const t0 = performance.now();
    const done = await runtime.stop(s.id, 120_000);
    const took = performance.now() - t0;
    expect(done).toMatchObject({ status: 'exited', exitCode: 0, oomKilled: false });
    // Well before the grace period: the handler ended it, not SIGKILL.
    expect(took).toBeLessThan(60_000);
    expect(await output(done.logPath)).toContain('bye');
  });

  it("sends the image's stop signal instead of SIGTERM when asked", async () => {
    const s = spec(['sh', '-c', 'trap "echo got-quit; exit 0" QUIT; trap "echo got-term; exit 1" TERM; echo armed; sleep 300 & wait']);
    await startArmed(runtime, s);
    const done = await runtime.stop(s.id, 10_000, 'SIGQUIT');
    expect(done).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(await output(done.logPath)).toContain('got-quit');
  });

  it('KILLs a long `sleep` (PID 1 ignores SIGTERM) once the grace period is over', async () => {
    const graceMs = 1_000;
    const s = spec(['sleep', '300']);
    expect((await runtime.start(s)).status).toBe('running');
    const t0 = performance.now();
    const done = await runtime.stop(s.id, graceMs);
    const took = performance.now() - t0;
    expect(done).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: false });
    expect(took).toBeGreaterThanOrEqual(graceMs);
  });

  it('KILLs a shell that traps SIGTERM away, after the grace period', async () => {
    const graceMs = 1_500;
    const s = spec(['sh', '-c', 'trap "" TERM; echo armed; while true; do sleep 1; done']);
    await startArmed(runtime, s);
    const t0 = performance.now();
    const done = await runtime.stop(s.id, graceMs);
    const took = performance.now() - t0;
    expect(done).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: false });
    expect(took).toBeGreaterThanOrEqual(graceMs);
    // Stopping again is a no-op that returns the same exit.
    expect((await runtime.stop(s.id, graceMs)).exitCode).toBe(137);
  });

  it('reports oomKilled when the memory limit is exceeded', async () => {
    // The shell itself holds the command substitution's 50 MB: over 16 MiB.
    const s = spec(['sh', '-c', 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived'], {
      limits: { memoryBytes: 16 * 1024 * 1024 },
    });
    await runtime.start(s);
    const done = await exited(s.id, 30_000);
    expect(done).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: true });
    expect(await output(done.logPath)).not.toContain('survived');
  });

  it('puts the limits into the container cgroup files under /skiff/<instance>/<id>', async () => {
    const s = spec(['sleep', '300'], {
      limits: { memoryBytes: 32 * 1024 * 1024, cpuMillis: 500, cpuRequestMillis: 250, pids: 50 },
    });
    await runtime.start(s);
    const path = runtime.cgroupsPath(s.id);
    expect(path).toBe(`/skiff/${instance}/${s.id}`);
    const read = async (controller: string, file: string): Promise<string> => {
      const dir = await cgroupDir(controller, path);
      if (dir === undefined) throw new Error(`no ${controller} hierarchy`);
      return (await readFile(join(dir, file), 'utf8')).trim();
    };
    expect(await read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(await read('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(await read('cpu', 'cpu.shares')).toBe('256');
    expect(await read('memory', 'memory.limit_in_bytes')).toBe(String(32 * 1024 * 1024));
    expect(await read('memory', 'memory.memsw.limit_in_bytes')).toBe(String(32 * 1024 * 1024));
    expect(await read('pids', 'pids.max')).toBe('50');
  });

  it('adopts running containers from a new instance over the same state dir', async () => {
    const s = spec(['sleep', '300']);
    const started = await runtime.start(s);
    expect(started.status).toBe('running');
    expect(started.pid).toBeGreaterThan(0);

    const adopted = new RuncRuntime({ stateDir, instanceName: instance });
    const listed = await adopted.list();
    expect(listed.map((c) => c.id)).toEqual([s.id]);
    expect(listed[0]).toMatchObject({ status: 'running', pid: started.pid, labels: s.labels, startedAt: started.startedAt });

    const done = await adopted.stop(s.id, 500);
    expect(done).toMatchObject({ status: 'exited', exitCode: 137 });
    expect((await runtime.state(s.id))?.status).toBe('exited');
  });

  it('keeps the container and its conmon running when the agent is killed with SIGKILL', async () => {
    const s = spec(['sleep', '300']);
    // A stand-in agent: a separate node process that starts the container and then hangs.
    const agent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { RuncRuntime } = await import(${JSON.stringify(DIST_RUNTIME)});
         const input = JSON.parse(process.env.SKIFF_TEST_INPUT);
         const rt = new RuncRuntime({ stateDir: input.stateDir, instanceName: input.instance });
         const state = await rt.start(input.spec);
         process.stdout.write(JSON.stringify(state) + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SKIFF_TEST_INPUT: JSON.stringify({ stateDir, instance, spec: s }) } },
    );
    const agentGone = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: agent.stdout }).once('line', resolve);
        agent.once('exit', (code) => reject(new Error(`stand-in agent exited with ${code}`)));
      });
      const started = JSON.parse(line) as ContainerState;
      expect(started.status).toBe('running');

      const monitor = await monitorOf(s.id);
      const conmonStat = await readProcessStat(monitor.conmonPid ?? -1);
      const agentStat = await readProcessStat(agent.pid ?? -1);
      // Double-forked: conmon is in a session of its own, not a child of the agent.
      expect(conmonStat?.sessionId).not.toBe(agentStat?.sessionId);
      expect(conmonStat?.ppid).not.toBe(agent.pid);

      agent.kill('SIGKILL');
      await agentGone;

      expect(await isProcessAlive(monitor.conmonPid ?? -1, monitor.conmonStartTicks)).toBe(true);
      const after = await runtime.state(s.id);
      expect(after).toMatchObject({ status: 'running', pid: started.pid });
      // The surviving conmon still records the exit for whoever asks next.
      const done = await runtime.stop(s.id, 200);
      expect(done).toMatchObject({ status: 'exited', exitCode: 137 });
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('still reports and stops a container whose conmon was killed, though its exit code is then lost', async () => {
    const s = spec(['sleep', '300']);
    const started = await runtime.start(s);
    const monitor = await monitorOf(s.id);
    const conmonPid = monitor.conmonPid ?? -1;
    process.kill(conmonPid, 'SIGKILL');
    await waitFor(async () => !(await isProcessAlive(conmonPid, monitor.conmonStartTicks)), {
      timeoutMs: 5_000,
      description: 'conmon to die',
    });
    expect(await runtime.state(s.id)).toMatchObject({ status: 'running', pid: started.pid });
    const done = await runtime.stop(s.id, 200);
    expect(done.status).toBe('exited');
    expect(done.exitCode).toBeUndefined();
    expect((await runtime.state(s.id))?.status).toBe('exited');
  });

  it('stacks the image layers under a per-container upper directory, mounted in the container only', async () => {
    const top = join(base, `top-${randomBytes(2).toString('hex')}`);
    await mkdir(join(top, 'etc'), { recursive: true });
    await writeFile(join(top, 'etc', 'motd'), 'from the top layer\n');
    const s = spec(['sh', '-c', 'cat /etc/motd; echo written > /new.txt; grep " / " /proc/self/mounts; sleep 300'], { layers: [layer, top] });
    const started = await runtime.start(s);
    const dir = join(stateDir, 'containers', s.id);
    const log = await waitFor(async () => ((await output(started.logPath)).includes('overlay') ? await output(started.logPath) : undefined), {
      timeoutMs: 15_000,
      description: 'the container to print its root mount',
    });
    const [motd, root] = log.split('\n');
    expect(motd).toBe('from the top layer');
    expect(root).toMatch(new RegExp(`^overlay / overlay .*lowerdir=${top}:${layer},upperdir=${join(dir, FILE.upper)},workdir=${join(dir, FILE.work)}`));
    // Writes land in the container's upper directory; the layers stay as they were.
    expect(await readFile(join(dir, FILE.upper, 'new.txt'), 'utf8')).toBe('written\n');
    expect(existsSync(join(top, 'new.txt')) || existsSync(join(layer, 'new.txt'))).toBe(false);
    // The host's mount table never holds it: runc mounted it in the container's namespace.
    expect(await isMounted(join(dir, FILE.rootfs))).toBe(false);
    expect(await readdir(join(dir, FILE.rootfs))).toEqual([]);
  });

  it('makes the overlay read-only with readOnlyRootFilesystem, the mounts on top of it still writable', async () => {
    const s = spec(['sh', '-c', 'echo no > /new.txt; echo "root $?"; echo yes > /tmp/ok && echo "tmp $?"'], {
      security: { readOnlyRootFilesystem: true },
      mounts: [{ source: await mkdtemp(join(base, 'scratch-')), destination: '/tmp', readOnly: false }],
    });
    await runtime.start(s);
    const done = await exited(s.id);
    const log = await output(done.logPath);
    expect(log).toMatch(/Read-only file system/);
    expect(log).toMatch(/^root 1$/m);
    expect(log).toMatch(/^tmp 0$/m);
    expect(existsSync(join(stateDir, 'containers', s.id, FILE.upper, 'new.txt'))).toBe(false);
  });

  it('remove() leaves no mount, bundle, runc state or cgroup directory behind', async () => {
    const s = spec(['sleep', '300'], { limits: { memoryBytes: 64 * 1024 * 1024, cpuMillis: 200 } });
    await runtime.start(s);
    const dir = join(stateDir, 'containers', s.id);
    const rootfs = join(dir, FILE.rootfs);
    expect((await instanceCgroupDirs(instance)).length).toBeGreaterThan(0);

    await runtime.remove(s.id); // running: stopped first

    expect(await isMounted(rootfs)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await runtime.runcState(s.id)).toBeUndefined();
    expect(await instanceCgroupDirs(instance)).toEqual([]);
    expect(await runtime.state(s.id)).toBeUndefined();
    expect(await runtime.list()).toEqual([]);
    await runtime.remove(s.id); // unknown now: a no-op
  });

  it('fails start() clearly when the command does not exist, leaving nothing behind', async () => {
    const s = spec(['no-such-command']);
    const error = await runtime.start(s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerStartError);
    expect((error as Error).message).toMatch(/no-such-command.*not found/);
    expect(await runtime.state(s.id)).toBeUndefined();
    expect(existsSync(join(stateDir, 'containers', s.id))).toBe(false);
    expect(await isMounted(join(stateDir, 'containers', s.id, FILE.rootfs))).toBe(false);
  });

  it('rejects invalid and duplicate ids, and answers for unknown ones', async () => {
    await expect(runtime.start(spec(['true'], { id: '../evil' }))).rejects.toBeInstanceOf(InvalidContainerIdError);
    const s = spec(['sleep', '300']);
    await runtime.start(s);
    await expect(runtime.start(s)).rejects.toBeInstanceOf(ContainerExistsError);
    expect((await runtime.state(s.id))?.status).toBe('running'); // the original is untouched
    expect(await runtime.state('never-created')).toBeUndefined();
    await expect(runtime.stop('never-created', 100)).rejects.toThrow(/unknown container/);
    await runtime.remove('never-created');
  });
});

/** The container's output, CRI prefixes stripped: what `ctl logs` prints. */
/** Starts a shell container and waits until it says its traps are set (a signal sent before that would end it the default way). */
async function startArmed(runtime: RuncRuntime, s: ContainerSpec): Promise<void> {
  const state = await runtime.start(s);
  expect(state.status).toBe('running');
  await waitFor(async () => (await output(state.logPath).catch(() => '')).includes('armed'), { timeoutMs: 30_000, intervalMs: 50, description: `${s.id} to set its traps` });
}

async function output(logPath: string): Promise<string> {
  return parseCriLog(await readFile(logPath, 'utf8')).lines.map((l) => `${l.text}\n`).join('');
}
