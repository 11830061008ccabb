// The `ip` command for the testkit's network fixtures, and the root
// namespace's safety net under them: high-metric blackhole routes that catch
// any packet for a test subnet that nothing else routes, so it can never take
// the default route off the machine (README, "The real parts in tests, and
// network safety").
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Higher than any route a test or the system adds, so the blackholes only ever catch what nothing else routes. */
export const BLACKHOLE_METRIC = '4000';
/**
 * Marks our blackhole routes (as `proto 250`, a private number), so removal
 * never takes away one that someone else added for the same prefix.
 */
export const ROUTE_PROTOCOL = '250';

const execFileAsync = promisify(execFile);

/** Runs `ip ARGS` and returns its stdout; the error quotes ip's stderr. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    return (await execFileAsync('ip', [...args], { encoding: 'utf8', timeout: 10_000 })).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/** Runs `ip`, treating a failure whose message matches `expected` (already there, already gone) as success. */
export async function ipIgnoring(args: readonly string[], expected: RegExp): Promise<void> {
  try {
    await ip(args);
  } catch (error) {
    if (!expected.test((error as Error).message)) throw error;
  }
}

/** `ip route add|del blackhole PREFIX` with our metric and protocol. */
export function blackholeArgs(verb: 'add' | 'del', prefix: string): string[] {
  return ['route', verb, 'blackhole', prefix, 'metric', BLACKHOLE_METRIC, 'proto', ROUTE_PROTOCOL];
}

/** Adds our blackhole for `prefix`; one that exists already (ours or anyone's, same metric) is just as good. */
export async function ensureBlackhole(prefix: string): Promise<void> {
  await ipIgnoring(blackholeArgs('add', prefix), /File exists/);
}

/** Removes our blackhole for `prefix`, if it is there. */
export async function removeBlackhole(prefix: string): Promise<void> {
  await ipIgnoring(blackholeArgs('del', prefix), /No such process/);
}
