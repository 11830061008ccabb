// Questions about other processes that the runtimes ask through /proc. A pid
// alone is not an identity: after a reboot or a wrap-around it may belong to
// someone else, and signalling that process would be a real bug. A pid plus
// its start time (in clock ticks since boot, /proc/<pid>/stat field 22) is.

import { readFile } from 'node:fs/promises';

export interface ProcessStat {
  readonly pid: number;
  /** One-letter state: R, S, D, Z (zombie), T, … */
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sessionId: number;
  /** Start time in clock ticks after boot: with the pid, identifies the process. */
  readonly startTicks: number;
}

/** Parses /proc/<pid>/stat; undefined if the process does not exist (any more). */
export async function readProcessStat(pid: number): Promise<ProcessStat | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcessStat(text);
}

/** Exposed for tests. The command name (field 2) may contain spaces and ')', so split after the last ')'. */
export function parseProcessStat(text: string): ProcessStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text.slice(0, text.indexOf(' ')), 10);
  // fields[0] is field 3 (state) of proc(5), so field N is fields[N - 3].
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const state = fields[0];
  const numbers = [fields[1], fields[2], fields[3], fields[19]].map((f) => Number.parseInt(f ?? '', 10));
  const [ppid, pgid, sessionId, startTicks] = numbers;
  if (
    state === undefined ||
    ppid === undefined ||
    pgid === undefined ||
    sessionId === undefined ||
    startTicks === undefined ||
    numbers.some((n) => Number.isNaN(n))
  ) {
    return undefined;
  }
  return { pid, state, ppid, pgid, sessionId, startTicks };
}

/**
 * True while `pid` runs and, when `startTicks` is given, is still the process
 * that was recorded. A zombie counts as gone: it has exited and only waits for
 * its parent to collect the status.
 */
export async function isProcessAlive(pid: number, startTicks?: number): Promise<boolean> {
  const stat = await readProcessStat(pid);
  if (stat === undefined || stat.state === 'Z') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/** Sends `signal` to a process or (negative pid) a process group; false if none exists. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
