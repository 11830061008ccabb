import { describe, expect, it } from 'vitest';
import { PeriodicRound } from './periodic-round.js';

/** A round that stays under way until `finish` is called, counting how often it began. */
function heldRound() {
  let began = 0;
  let finish: () => void = () => undefined;
  const round = () => {
    began += 1;
    return new Promise<void>((resolve) => (finish = resolve));
  };
  return { round, began: () => began, finish: () => finish() };
}

describe('PeriodicRound', () => {
  it('runs a round at start and at each interval, on the injected timer', async () => {
    let fire: (() => void) | undefined;
    let scheduledMs: number | undefined;
    let rounds = 0;
    const loop = new PeriodicRound({
      intervalMs: 1234,
      round: async () => void (rounds += 1),
      setInterval: (run, ms) => ((fire = run), (scheduledMs = ms), {}),
      clearInterval: () => undefined,
    });
    loop.start();
    expect(scheduledMs).toBe(1234);
    await loop.tick(); // joins the start's round if still under way, else runs one more
    const afterStart = rounds;
    expect(afterStart).toBeGreaterThanOrEqual(1);
    fire?.();
    await loop.tick();
    expect(rounds).toBeGreaterThan(afterStart);
    await loop.stop();
  });

  it('joins a round under way rather than starting a second', async () => {
    const held = heldRound();
    const loop = new PeriodicRound({ intervalMs: 1000, round: held.round, setInterval: () => ({}), clearInterval: () => undefined });
    const first = loop.tick();
    const second = loop.tick();
    expect(second).toBe(first);
    expect(held.began()).toBe(1);
    held.finish();
    await first;
    const third = loop.tick();
    expect(held.began()).toBe(2);
    held.finish();
    await third;
  });

  it('stop clears the timer and waits for the round in flight', async () => {
    const held = heldRound();
    const handle = { unref: () => undefined };
    let cleared: unknown;
    const loop = new PeriodicRound({ intervalMs: 1000, round: held.round, setInterval: () => handle, clearInterval: (h) => (cleared = h) });
    loop.start();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    expect(cleared).toBe(handle);
    await Promise.resolve();
    expect(stopped).toBe(false);
    held.finish();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('starts a fresh round after one that rejected', async () => {
    let calls = 0;
    const loop = new PeriodicRound({
      intervalMs: 1000,
      round: async () => {
        calls += 1;
        if (calls === 1) throw new Error('first round fails');
      },
      setInterval: () => ({}),
      clearInterval: () => undefined,
    });
    await expect(loop.tick()).rejects.toThrow('first round fails');
    await loop.tick();
    expect(calls).toBe(2);
  });
});
