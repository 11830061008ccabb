// runc, mount and umount are driven as short-lived commands whose exit status
// and messages matter (runc says "container does not exist" on stderr), so
// failures are returned as data rather than thrown; callers decide which
// failures are fine (deleting something already gone) and which are not.

import { spawnCommand, type SpawnResult } from './spawner.js';

/** What a command did; the spawner's SpawnResult. */
export type CommandResult = SpawnResult;

export interface RunCommandOptions {
  /** Kill the command (SIGKILL) after this long; default 30 s, so a wedged runc cannot hang the agent. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs `file args…` without a shell, through the agent's spawner helper (see
 * spawner.ts: no fork of the agent); rejects only if it cannot be started at
 * all (a SpawnError whose code is e.g. ENOENT).
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return spawnCommand({ file, args, timeoutMs: options.timeoutMs ?? 30_000, ...(options.env ? { env: options.env } : {}) });
}

/** A one-line description for error messages: "mount exited with 32: <stderr>". */
export function describeFailure(file: string, result: CommandResult): string {
  const status = result.code !== null ? `exited with ${result.code}` : `was killed by ${result.signal ?? 'a signal'}`;
  const message = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ');
  return `${file} ${status}${message ? `: ${message}` : ''}`;
}
