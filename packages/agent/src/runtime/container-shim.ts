// The per-container supervisor. A detached runc (or a detached process) keeps
// no exit status for anyone: its parent is gone by the time it exits. So each
// container gets one small shim process that is its parent (through runc in
// the foreground, or directly), waits for it, and writes down how it ended.
// The driver starts the shim detached, in its own session, with its output in
// files, so the agent can die or restart without taking containers along;
// a new agent reads what the shim wrote (see container-files.ts).
//
// runc mode: `runc run --keep` in the foreground. runc stays the container's
// parent and returns its exit status (128 + n for signal n). --keep makes runc
// leave the stopped container and its cgroup in place, so the shim can read
// the OOM counter of the container's own cgroup after the exit (without it
// runc removes the cgroup before returning, and the counter with it); then the
// shim runs `runc delete`.
//
// process mode: spawn the command in its own session/process group, record
// its exit, then kill whatever is left of its process group (a container's
// processes end with its main process; the process driver emulates that).

import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { posix as path } from 'node:path';
import { readOomKillCount } from './cgroup-fs.js';
import {
  FILE,
  isShimRequest,
  readJsonFile,
  writeJsonAtomic,
  type ExitRecord,
  type ProcessShimRequest,
  type RuncShimRequest,
  type ShimRecord,
} from './container-files.js';
import { delay } from './poll.js';
import { readProcessStat, sendSignal } from './process-probe.js';
import { runCommand } from './run-command.js';

/** Exit status the shell uses for "command not found" / "not executable". */
const EXIT_NOT_FOUND = 127;
const EXIT_NOT_EXECUTABLE = 126;
const EXIT_SIGKILL = 128 + 9;

/**
 * Supervises the container described by `<dir>/shim-request.json` until it has
 * exited and its exit is recorded; resolves with the shim's own exit status.
 */
export async function runShim(dir: string): Promise<number> {
  const request = await readJsonFile(path.join(dir, FILE.request), isShimRequest);
  if (request === undefined) {
    log(`no valid ${FILE.request} in ${dir}`);
    return 2;
  }
  // Terminal and session signals must not end the supervisor: only the
  // container's exit should. (The shim runs in its own session, so these only
  // arrive if someone sends them on purpose; SIGKILL still works.)
  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => log(`ignoring ${signal}: the shim ends when the container does`));
  }
  const recorder = new ShimRecorder(dir, process.pid, (await readProcessStat(process.pid))?.startTicks);
  await recorder.writeShim();
  const exit = request.kind === 'runc' ? await superviseRunc(request, recorder) : await superviseProcess(request, recorder);
  await recorder.writeExit(exit);
  log(`container ${request.id} exited: ${JSON.stringify(exit)}`);
  if (request.kind === 'runc') {
    // Recorded first, deleted second: the exit is what the agent waits for,
    // and if this fails the driver's remove() deletes with --force anyway.
    const deleted = await runCommand(request.runcBinary, ['--root', request.runcRoot, 'delete', '--force', request.id]);
    if (deleted.code !== 0) log(`runc delete ${request.id}: ${deleted.stderr.trim()}`);
  }
  return 0;
}

/** Serialises the shim's writes so shim.json updates and exit.json never race. */
class ShimRecorder {
  private chain: Promise<void> = Promise.resolve();
  private record: ShimRecord;

  constructor(
    private readonly dir: string,
    shimPid: number,
    shimStartTicks: number | undefined,
  ) {
    this.record = shimStartTicks === undefined ? { shimPid } : { shimPid, shimStartTicks };
  }

  get started(): boolean {
    return this.record.pid !== undefined;
  }

  writeShim(update: Partial<Omit<ShimRecord, 'shimPid' | 'shimStartTicks'>> = {}): Promise<void> {
    return this.enqueue(async () => {
      this.record = { ...this.record, ...update };
      await writeJsonAtomic(path.join(this.dir, FILE.shim), this.record);
    });
  }

  writeExit(exit: ExitRecord): Promise<void> {
    return this.enqueue(() => writeJsonAtomic(path.join(this.dir, FILE.exit), exit));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task);
    // A failed write must not wedge later ones; the caller still sees the error.
    this.chain = next.catch((error: unknown) => log(`write failed: ${String(error)}`));
    return next;
  }
}

type ChildOutcome =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'failed'; error: NodeJS.ErrnoException };

async function superviseRunc(request: RuncShimRequest, recorder: ShimRecorder): Promise<ExitRecord> {
  const args = [
    '--root',
    request.runcRoot,
    '--log',
    request.runcLogPath,
    '--log-format',
    'json',
    'run',
    '--keep',
    '--pid-file',
    request.pidFile,
    '--bundle',
    request.bundleDir,
    request.id,
  ];
  // The log file is handed over as a descriptor, never a pipe of ours, so no
  // output path runs through the shim (or the agent). Note that runc in the
  // foreground relays the container's stdout/stderr through pipes of its own
  // into this descriptor (only `run -d`/`create` pass descriptors through,
  // and those lose the exit status); runc lives exactly as long as the
  // container, so that relay cannot break while the container runs.
  const outcome = await spawnWithLog(request.runcBinary, args, request.logPath, {});

  // runc writes the pid file (atomically) once the container exists; its
  // appearance is the container's start.
  let checking: Promise<void> = Promise.resolve();
  const checkStarted = (): Promise<void> =>
    (checking = checking.then(async () => {
      if (recorder.started) return;
      const started = await readPidFile(request.pidFile);
      if (started === undefined) return;
      const ticks = (await readProcessStat(started.pid))?.startTicks;
      await recorder.writeShim({
        pid: started.pid,
        startedAt: started.at,
        ...(ticks !== undefined ? { pidStartTicks: ticks } : {}),
      });
    }));
  const watcher = setInterval(() => void checkStarted().catch(() => undefined), 20);
  let result: ChildOutcome;
  try {
    result = await outcome.done;
  } finally {
    clearInterval(watcher);
  }
  await checkStarted().catch(() => undefined);

  const finishedAt = new Date().toISOString();
  if (result.kind === 'failed') {
    return { finishedAt, oomKilled: false, startError: `cannot run ${request.runcBinary}: ${result.error.message}` };
  }
  let exitCode = result.code ?? undefined;
  if (result.signal !== null) {
    // runc itself was killed (not the container: runc would report that as
    // 128 + n). The container may still be running without its parent; wait
    // for it to stop, but its exit status is lost.
    log(`runc was killed by ${result.signal}; waiting for container ${request.id} to stop`);
    await waitUntilStopped(request);
    exitCode = undefined;
  }
  if (!recorder.started) {
    return {
      ...(exitCode !== undefined ? { exitCode } : {}),
      finishedAt,
      oomKilled: false,
      startError: (await lastRuncError(request.runcLogPath)) ?? `runc exited with ${exitCode ?? result.signal}`,
    };
  }
  // The OOM killer sends SIGKILL, so an OOM-ended container exits 137; the
  // cgroup's counter tells that apart from a SIGKILL sent by stop().
  const oomKills = await readOomKillCount(request.cgroupsPath).catch(() => undefined);
  const oomKilled = exitCode === EXIT_SIGKILL && oomKills !== undefined && oomKills > 0;
  return { ...(exitCode !== undefined ? { exitCode } : {}), finishedAt, oomKilled };
}

async function superviseProcess(request: ProcessShimRequest, recorder: ShimRecorder): Promise<ExitRecord> {
  const [file, ...args] = request.argv;
  if (file === undefined) return { finishedAt: new Date().toISOString(), oomKilled: false, startError: 'argv is empty' };
  const outcome = await spawnWithLog(file, args, request.logPath, {
    env: { ...request.env },
    cwd: request.cwd,
    // Its own session and process group: stop() signals the whole group, and
    // nothing reaches it through the shim's group.
    detached: true,
  });
  const pid = outcome.pid;
  if (pid !== undefined) {
    const ticks = (await readProcessStat(pid))?.startTicks;
    await recorder.writeShim({
      pid,
      startedAt: new Date().toISOString(),
      ...(ticks !== undefined ? { pidStartTicks: ticks } : {}),
    });
  }
  const result = await outcome.done;
  const finishedAt = new Date().toISOString();
  if (result.kind === 'failed' || pid === undefined) {
    const error = result.kind === 'failed' ? result.error : undefined;
    const message = `cannot run ${JSON.stringify(file)}: ${error?.message ?? 'spawn failed'}`;
    // Also into the container log, where a user looks first.
    try {
      appendFileSync(request.logPath, `${message}\n`);
    } catch {
      // The log is a convenience here; the exit record carries the message.
    }
    return {
      exitCode: error?.code === 'EACCES' ? EXIT_NOT_EXECUTABLE : EXIT_NOT_FOUND,
      finishedAt,
      oomKilled: false,
      startError: message,
    };
  }
  // Children it left behind would otherwise keep running (and keep the log
  // open). The group id cannot have been reused while any member is alive.
  try {
    sendSignal(-pid, 'SIGKILL');
  } catch (error) {
    log(`cleaning up process group ${pid}: ${String(error)}`);
  }
  // No cgroup, so no way to tell an OOM kill from any other SIGKILL.
  return { exitCode: exitStatus(result.code, result.signal), finishedAt, oomKilled: false };
}

interface SpawnedChild {
  readonly pid: number | undefined;
  readonly done: Promise<ChildOutcome>;
}

/** Spawns with stdin /dev/null and stdout+stderr appended to `logPath`; resolves once spawned or failed. */
function spawnWithLog(
  file: string,
  args: readonly string[],
  logPath: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean },
): Promise<SpawnedChild> {
  const logFd = openSync(logPath, 'a');
  try {
    const child = spawn(file, [...args], { ...options, stdio: ['ignore', logFd, logFd] });
    const done = new Promise<ChildOutcome>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'failed', error }));
      child.once('exit', (code, signal) => resolve({ kind: 'exited', code, signal }));
    });
    return new Promise<SpawnedChild>((resolve) => {
      child.once('spawn', () => resolve({ pid: child.pid, done }));
      child.once('error', () => resolve({ pid: undefined, done }));
    });
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(logFd);
  }
}

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal !== null ? osConstants.signals[signal] : undefined;
  return 128 + (number ?? 0);
}

async function readPidFile(file: string): Promise<{ pid: number; at: string } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const pid = Number.parseInt(text.trim(), 10);
    // The file's mtime is when runc created the container, however late we look.
    return Number.isInteger(pid) && pid > 0 ? { pid, at: info.mtime.toISOString() } : undefined;
  } catch {
    return undefined;
  }
}

/** The last error runc logged (JSON lines, from --log-format json), e.g. "exec: \"x\": executable file not found". */
async function lastRuncError(runcLogPath: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(runcLogPath, 'utf8');
  } catch {
    return undefined;
  }
  let last: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const entry: unknown = JSON.parse(line);
      if (typeof entry === 'object' && entry !== null && 'level' in entry && 'msg' in entry) {
        if ((entry.level === 'error' || entry.level === 'fatal') && typeof entry.msg === 'string') last = entry.msg;
      }
    } catch {
      // Not a JSON line (runc writes a few plain ones early on); skip it.
    }
  }
  return last;
}

async function waitUntilStopped(request: RuncShimRequest): Promise<void> {
  for (;;) {
    const result = await runCommand(request.runcBinary, ['--root', request.runcRoot, 'state', request.id]);
    if (result.code !== 0 || /"status":\s*"stopped"/.test(result.stdout)) return;
    await delay(500);
  }
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} shim[${process.pid}] ${message}\n`);
}
