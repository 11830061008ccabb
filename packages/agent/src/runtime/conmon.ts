// conmon, the C container monitor of Podman and CRI-O, supervises each runc
// container: it runs `runc create`, stays the container's parent (so it learns
// the exit status), writes the container's output to a CRI-format log file and
// records the exit code in its exit dir and an OOM kill as `oom` in its
// persist dir. It double-forks, so it outlives the agent that started it.
//
// Files of one container (in its state directory, see container-files.ts):
//   conmon.pid       conmon's own pid (-P)
//   container.pid    the container's init pid (-p, runc --pid-file)
//   exit/<id>        the exit code as decimal text, once it exited (--exit-dir)
//   persist/oom      present when conmon saw an OOM kill (-0)
//   bundle/ctl       a FIFO conmon reads control messages from ("2 0 0": reopen the log)

import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { FILE } from './container-files.js';

/** conmon's control message type for "reopen the log files" (conmon's ctl FIFO protocol: "TYPE HEIGHT WIDTH\n"). */
const CTL_REOPEN_LOGS = 2;

export interface ConmonLaunch {
  readonly conmonBinary: string;
  readonly runcBinary: string;
  readonly runcRoot: string;
  readonly id: string;
  /** The container's state directory. */
  readonly dir: string;
  readonly bundleDir: string;
  readonly logPath: string;
  /** conmon truncates the log when it would grow past this (a hard cap; rotation happens below it). */
  readonly logSizeMax: number;
  /** Where conmon links its attach socket; must be short (a unix socket path has 108 bytes). */
  readonly socketDir: string;
}

export function conmonArgs(launch: ConmonLaunch): string[] {
  const { dir, id } = launch;
  return [
    '--api-version', '1',
    '-c', id,
    '-u', id,
    '-n', id,
    '-r', launch.runcBinary,
    '-b', launch.bundleDir,
    '-p', path.join(dir, FILE.pidFile),
    '-P', path.join(dir, FILE.conmonPid),
    '-l', `k8s-file:${launch.logPath}`,
    '--log-size-max', String(launch.logSizeMax),
    '--exit-dir', path.join(dir, FILE.exitDir),
    '-0', path.join(dir, FILE.persistDir),
    '--socket-dir-path', launch.socketDir,
    // runc's global options: its state root, and its own errors as JSON lines
    // (where start() finds "executable file not found").
    '--runtime-arg', '--root', '--runtime-arg', launch.runcRoot,
    '--runtime-arg', '--log', '--runtime-arg', path.join(dir, FILE.runcLog),
    '--runtime-arg', '--log-format', '--runtime-arg', 'json',
  ];
}

/**
 * Starts conmon; resolves when its first process has exited (it has forked
 * the monitor by then). conmon's own messages go to conmon.log, as a file
 * descriptor: nothing ties the monitor to the agent.
 */
export async function launchConmon(launch: ConmonLaunch): Promise<void> {
  await Promise.all(
    [path.join(launch.dir, FILE.exitDir), path.join(launch.dir, FILE.persistDir), launch.socketDir].map((d) =>
      mkdir(d, { recursive: true, mode: 0o700 }),
    ),
  );
  const out = openSync(path.join(launch.dir, FILE.conmonLog), 'a', 0o600);
  try {
    const child = spawn(launch.conmonBinary, conmonArgs(launch), {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: '/',
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) throw new Error(`conmon exited with ${code}: ${await conmonLogTail(launch.dir)}`);
  } finally {
    closeSync(out);
  }
}

export async function conmonLogTail(dir: string): Promise<string> {
  const text = await readFile(path.join(dir, FILE.conmonLog), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-3).join(' | ') || '(conmon.log is empty)';
}

/** A pid file's pid and when it was written, or undefined if absent or partial. */
export async function readPidFile(file: string): Promise<{ pid: number; at: Date } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const pid = Number.parseInt(text.trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, at: info.mtime } : undefined;
  } catch {
    return undefined;
  }
}

export interface ConmonExit {
  /** Exit status, 128 + n for death by signal n. */
  readonly exitCode: number;
  readonly finishedAt: string;
  /** conmon saw the OOM killer end it. */
  readonly oomReported: boolean;
}

/** What conmon recorded when the container exited, or undefined while it runs. */
export async function readConmonExit(dir: string, id: string): Promise<ConmonExit | undefined> {
  const file = path.join(dir, FILE.exitDir, id);
  let text: string;
  let mtime: Date;
  try {
    [text, { mtime }] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
  } catch {
    return undefined;
  }
  // conmon writes the file in one write(); an empty one is being written.
  const exitCode = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(exitCode)) return undefined;
  const oomReported = await stat(path.join(dir, FILE.persistDir, 'oom')).then(
    () => true,
    () => false,
  );
  return { exitCode, finishedAt: mtime.toISOString(), oomReported };
}

/**
 * Asks conmon to reopen its log file (after the caller renamed it away).
 * Non-blocking: false when no conmon reads the FIFO any more (it has exited).
 */
export async function requestLogReopen(bundleDir: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path.join(bundleDir, 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    await handle.write(`${CTL_REOPEN_LOGS} 0 0\n`);
    return true;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/** The last error runc logged (JSON lines, from --log-format json), e.g. "exec: \"x\": executable file not found". */
export async function lastRuncError(runcLogPath: string): Promise<string | undefined> {
  const text = await readFile(runcLogPath, 'utf8').catch(() => '');
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
