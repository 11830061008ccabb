// Runtime code waits on other processes (runc, shims, the kernel) that tell us
// nothing when they are done, so it polls a condition against a deadline.
// Unlike the testkit's waitFor, a timeout is an ordinary outcome here (stop()
// escalates to SIGKILL when the grace period runs out), so it is returned, not thrown.

export interface PollOptions {
  /** Give up after this long (0 = probe exactly once). */
  readonly timeoutMs: number;
  /** Pause between probes; default 25 ms. */
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than undefined and returns
 * that; returns undefined if the deadline passes first. A probe that throws
 * propagates: probes are expected to turn "not yet" into undefined themselves.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: PollOptions,
): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 25;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return undefined;
    await delay(Math.min(intervalMs, remaining));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
