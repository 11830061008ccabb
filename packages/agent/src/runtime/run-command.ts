// runc, mount and umount are driven as short-lived commands whose exit status
// and messages matter (runc says "container does not exist" on stderr), so
// failures are returned as data rather than thrown; callers decide which
// failures are fine (deleting something already gone) and which are not.

import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code, or null when the command was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  /** Kill the command (SIGKILL) after this long; default 30 s, so a wedged runc cannot hang the agent. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `file args…` without a shell; rejects only if it cannot be started at all (e.g. ENOENT). */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' (not 'exit') so the output pipes are fully drained.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** A one-line description for error messages: "mount exited with 32: <stderr>". */
export function describeFailure(file: string, result: CommandResult): string {
  const status = result.code !== null ? `exited with ${result.code}` : `was killed by ${result.signal ?? 'a signal'}`;
  const message = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ');
  return `${file} ${status}${message ? `: ${message}` : ''}`;
}
