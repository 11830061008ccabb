// The one place tests are allowed to wait on time: poll a condition until it
// holds or a deadline passes. Fixed sleeps are either too short on a loaded CI
// machine (flaky) or too long everywhere else (slow); a poll is neither.

export interface WaitForOptions {
  /** Give up after this long; the error then names `description`. */
  timeoutMs: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for, in words: "etcd to answer /health". */
  description: string;
}

/** A probe's "not yet" values. Anything else counts as success and is returned. */
type NotYet = undefined | false;

/**
 * Calls `probe` until it returns a truthy value and returns that value. A probe
 * that throws counts as "not yet" (the condition may simply not hold yet, e.g.
 * connection refused while a server starts); at the deadline the thrown error
 * or the last returned value is quoted in the timeout error so a failing test
 * says why, not just that it waited.
 */
export async function waitFor<T>(
  probe: () => Promise<T | NotYet> | T | NotYet,
  options: WaitForOptions,
): Promise<T> {
  const { timeoutMs, description } = options;
  const intervalMs = options.intervalMs ?? 50;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last: { kind: 'none' } | { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } = {
    kind: 'none',
  };
  let attempts = 0;

  for (;;) {
    attempts += 1;
    const outcome = await runProbe(probe, deadline);
    if (outcome.kind === 'value') {
      if (outcome.value !== undefined && outcome.value !== false && Boolean(outcome.value)) {
        return outcome.value as T;
      }
      last = outcome;
    } else if (outcome.kind === 'error') {
      last = outcome;
    } else {
      // The probe itself outlived the deadline: report that rather than hang.
      throw new Error(
        `Timed out after ${Date.now() - started} ms waiting for ${description}: ` +
          `the probe was still running at the deadline (${attempts} attempts)${describeLast(last)}`,
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(
        `Timed out after ${Date.now() - started} ms waiting for ${description} ` +
          `(${attempts} attempts)${describeLast(last)}`,
        last.kind === 'error' ? { cause: last.error } : undefined,
      );
    }
    await pause(Math.min(intervalMs, remaining));
  }
}

type ProbeOutcome = { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'pending' };

async function runProbe<T>(probe: () => Promise<T | NotYet> | T | NotYet, deadline: number): Promise<ProbeOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const attempt = (async (): Promise<ProbeOutcome> => {
    try {
      return { kind: 'value', value: await probe() };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  const expired = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'pending' }), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([attempt, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function describeLast(
  last: { kind: 'none' } | { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown },
): string {
  switch (last.kind) {
    case 'none':
      return '';
    case 'error':
      return `; last probe error: ${last.error instanceof Error ? last.error.message : String(last.error)}`;
    case 'value':
      return `; last probe value: ${safeFormat(last.value)}`;
  }
}

function safeFormat(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 500 ? `${text.slice(0, 500)}…` : text;
  } catch {
    return String(value);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
