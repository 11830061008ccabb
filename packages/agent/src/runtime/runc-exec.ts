// `runc exec` for ctl exec. Without --process runc builds the new process from
// the container's own process spec (its user and groups, environment, working
// directory, capabilities, no_new_privs, seccomp filter and rlimits), so only
// argv (and the tty) are given here. runc runs in the foreground:
//   - without a tty, the command inherits runc's stdio, our pipes;
//   - with -t, runc needs a terminal of its own (node-pty's, see
//     exec-session.ts): it puts that in raw mode, copies it to and from the
//     container's new console, and on SIGWINCH (sent by the kernel when the
//     pty is resized) resizes that console to match.
// runc's own messages go to a JSON log file (and, alas, its stderr: see OutputGate), so
// a command that could not start is told apart from one that ran and failed.
import { randomBytes } from 'node:crypto';
import { existsSync, watch } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '@skiff/api/core';
import { lastRuncError } from './conmon.js';
import { startExecSession, type ExecOptions, type ExecSession } from './exec-session.js';

export interface RuncExecTarget {
  readonly runcBinary: string;
  readonly runcRoot: string;
  readonly id: string;
  /** The container's directory: runc's log and pid file of this exec live there while it runs. */
  readonly dir: string;
}

export async function runcExec(target: RuncExecTarget, options: ExecOptions): Promise<ExecSession> {
  const execDir = path.join(target.dir, `exec-${randomBytes(6).toString('hex')}`);
  await mkdir(execDir, { mode: 0o700 });
  const logPath = path.join(execDir, 'runc.log');
  const pidPath = path.join(execDir, 'pid');
  const args = [
    '--root',
    target.runcRoot,
    '--log',
    logPath,
    '--log-format',
    'json',
    'exec',
    '--pid-file',
    pidPath,
    // kubelet's runtimes set TERM for a terminal; the container's own env says the rest.
    ...(options.tty ? ['--tty', '--env', 'TERM=xterm'] : []),
    target.id,
    ...options.command,
  ];
  const env = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  // runc makes its terminal raw only once it runs: input arriving before that
  // would be echoed, or a ^D taken as EOF by the host pty itself. So the host
  // pty is raw (no echo, no line editing) before runc starts: every byte goes
  // to the container's console, whose line discipline is the one that counts.
  const command = options.tty
    ? { file: '/bin/sh', args: ['-c', 'stty raw -echo && exec "$0" "$@"', target.runcBinary, ...args] }
    : { file: target.runcBinary, args };
  // runc also prints its own failure on its stderr, which is the command's
  // (or on the terminal). Until runc writes the pid file the command has not
  // started, so nothing written before is the command's: it is held back,
  // passed on once the pid file appears, and dropped if runc failed.
  const gate = new OutputGate(options.onOutput);
  const watcher = watch(execDir, () => existsSync(pidPath) && gate.open());
  if (existsSync(pidPath)) gate.open();
  const cleanup = async (): Promise<void> => {
    watcher.close();
    await rm(execDir, { recursive: true, force: true });
  };
  let session: ExecSession;
  try {
    session = startExecSession({ ...command, env, cwd: target.dir }, { ...options, onOutput: (stream, data) => gate.pass(stream, data) });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const exited = session.exited.then(
    async (code) => {
      const failure = await lastRuncError(logPath);
      await cleanup();
      if (failure !== undefined) {
        gate.drop();
        throw execFailure(options.containerName ?? `container ${target.id}`, options.command[0] ?? '', failure);
      }
      gate.open();
      return code;
    },
    async (error: unknown) => {
      await cleanup();
      throw error;
    },
  );
  return {
    write: (data) => session.write(data),
    onDrain: (listener) => session.onDrain(listener),
    pauseOutput: () => session.pauseOutput(),
    resumeOutput: () => session.resumeOutput(),
    closeStdin: () => session.closeStdin(),
    resize: (size) => session.resize(size),
    kill: () => session.kill(),
    exited,
  };
}

/** Output held, in order, until the command is known to run. */
class OutputGate {
  private held: [stream: 'stdout' | 'stderr', data: Buffer][] | undefined = [];

  constructor(private readonly deliver: ExecOptions['onOutput']) {}

  pass(stream: 'stdout' | 'stderr', data: Buffer): void {
    if (this.held) this.held.push([stream, data]);
    else this.deliver(stream, data);
  }

  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, data] of held) this.deliver(stream, data);
  }

  drop(): void {
    if (this.held) this.held = [];
  }
}

/** runc's reason, as the user needs it: "executable file not found" is the common one. */
function execFailure(container: string, executable: string, message: string): Error {
  const reason = message.replace(/^exec failed: /, '').replace(/^unable to start container process: /, '');
  if (/executable file not found|no such file or directory/.test(reason)) {
    return new NotFoundError(`cannot exec ${JSON.stringify(executable)} in ${container}: ${reason}`);
  }
  return new FailedPreconditionError(`cannot exec ${JSON.stringify(executable)} in ${container}: ${reason}`);
}
