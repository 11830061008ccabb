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
