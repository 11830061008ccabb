// The process driver's per-container supervisor. A detached process keeps no
// exit status for anyone: its parent is gone by the time it exits. So each
// process gets one small shim that is its parent, waits for it, and writes
// down how it ended. The driver starts the shim detached, in its own session,
// with its output in files, so the agent can die or restart without taking
// processes along; a new agent reads what the shim wrote (see
// container-files.ts). (runc containers are supervised by conmon instead, see
// conmon.ts.)
//
// The shim spawns the command in its own session/process group, records its
// exit, then kills whatever is left of its process group (a container's
// processes end with its main process; the process driver emulates that).

import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { posix as path } from 'node:path';
import {
  FILE,
  isShimRequest,
  readJsonFile,
  writeJsonAtomic,
  type ExitRecord,
  type ProcessShimRequest,
  type ShimRecord,
} from './container-files.js';
import { readProcessStat, sendSignal } from './process-probe.js';

/** Exit status the shell uses for "command not found" / "not executable". */
const EXIT_NOT_FOUND = 127;
const EXIT_NOT_EXECUTABLE = 126;

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
  const exit = await superviseProcess(request, recorder);
  await recorder.writeExit(exit);
  log(`container ${request.id} exited: ${JSON.stringify(exit)}`);
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

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} shim[${process.pid}] ${message}\n`);
}
