import { describe, expect, it } from 'vitest';
import { BACKOFF, Backoff, backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const policy = { initialMs: 10, maxMs: 100 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([10, 20, 40, 80, 100, 100]);
  });

  it('never overflows however many failures', () => {
    expect(backoffDelay(BACKOFF.workQueue, 10_000)).toBe(30_000);
  });

  it('jitter takes up to that fraction off the delay', () => {
    const policy = { initialMs: 100, maxMs: 100, jitter: 0.25 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(100);
    expect(backoffDelay(policy, 1, () => 1)).toBe(75);
    expect(backoffDelay(policy, 1, () => 0.5)).toBe(87.5);
  });

  it('honours another growth factor', () => {
    expect(backoffDelay({ initialMs: 1, maxMs: 1_000, factor: 10 }, 3)).toBe(100);
  });
});

describe('Backoff', () => {
  it('counts failures and starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 5, maxMs: 1_000 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([5, 10, 20]);
    expect(backoff.attempts).toBe(3);
    backoff.reset();
    expect(backoff.next()).toBe(5);
  });
});
