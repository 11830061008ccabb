// The time a MemoryStore lives by: lease deadlines are measured on `now`, and
// everything the store does later (lease expiry, event delivery) goes through
// `setTimeout`, so a unit test can drive the store by driving its clock.

export interface MemoryStoreClock {
  /** Milliseconds, as Date.now(). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The process clock. The globals are looked up at each call, so a test's
 * vi.useFakeTimers() applies to a store created before it.
 */
export const systemClock: MemoryStoreClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

/** Time that moves only when the test says, running the timers that fall due in order (0 ms means 1, as in Node). */
export class ManualClock implements MemoryStoreClock {
  private time = 1_700_000_000_000;
  private nextHandle = 1;
  private readonly timers = new Map<number, { readonly at: number; readonly callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + Math.max(1, delayMs), callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, running each timer due by then (and those they set) at its time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = end;
  }

  /** Moves `now` without running any timer: a clock whose timers lag. */
  jump(ms: number): void {
    this.time += ms;
  }
}
