// `runc exec` for ctl exec. Without --process runc builds the new process from
// the container's own process spec (its user and groups, environment, working
// directory, capabilities, no_new_privs, seccomp filter and rlimits), so only
// argv (and the tty) are given here. runc runs in the foreground:
//   - without a tty, the command inherits runc's stdio, our pipes;
//   - with -t, runc needs a terminal of its own (node-pty's, see
//     exec-session.ts): it puts that in raw mode, copies it to and from the
//     container's new console, and on SIGWINCH (sent by the kernel when the
//     pty is resized) resizes that console to match.
// runc's own messages go to a JSON log file, not to the command's stderr, so
// a command that could not start is told apart from one that ran and failed.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '@skiff/api';
import { lastRuncError } from './conmon.js';
import { startExecSession, type ExecOptions, type ExecSession } from './exec-session.js';

export interface RuncExecTarget {
  readonly runcBinary: string;
  readonly runcRoot: string;
  readonly id: string;
  /** The container's directory: the log of this exec lives there while it runs. */
  readonly dir: string;
}

export function runcExec(target: RuncExecTarget, options: ExecOptions): ExecSession {
  const logPath = path.join(target.dir, `exec-${randomBytes(6).toString('hex')}.log`);
  const args = [
    '--root',
    target.runcRoot,
    '--log',
    logPath,
    '--log-format',
    'json',
    'exec',
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
  const session = startExecSession({ ...command, env, cwd: target.dir }, options);
  const exited = session.exited.then(
    async (code) => {
      const failure = await lastRuncError(logPath);
      await rm(logPath, { force: true });
      if (failure !== undefined) throw execFailure(options.containerName ?? `container ${target.id}`, options.command[0] ?? '', failure);
      return code;
    },
    async (error: unknown) => {
      await rm(logPath, { force: true });
      throw error;
    },
  );
  return {
    write: (data) => session.write(data),
    closeStdin: () => session.closeStdin(),
    resize: (size) => session.resize(size),
    kill: () => session.kill(),
    exited,
  };
}

/** runc's reason, as the user needs it: "executable file not found" is the common one. */
function execFailure(container: string, executable: string, message: string): Error {
  const reason = message.replace(/^exec failed: /, '').replace(/^unable to start container process: /, '');
  if (/executable file not found|no such file or directory/.test(reason)) {
    return new NotFoundError(`cannot exec ${JSON.stringify(executable)} in ${container}: ${reason}`);
  }
  return new FailedPreconditionError(`cannot exec ${JSON.stringify(executable)} in ${container}: ${reason}`);
}
