import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('hands keys out in order and de-duplicates keys still waiting', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.length).toBe(0);
  });

  it('never hands a key in progress to a second worker, and re-queues it at done() if it was added meanwhile', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    // In progress: the re-add waits for done().
    expect(queue.length).toBe(0);
    const second = queue.get();
    let handed: string | undefined;
    void second.then((key) => (handed = key));
    await Promise.resolve();
    expect(handed).toBeUndefined();
    queue.done('a');
    expect(await second).toBe('a');
    // Exactly once more, not once per add.
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('does not re-queue a key on done() when nothing added it meanwhile', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('wakes a waiting get() when a key arrives', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.add('x');
    expect(await waiting).toBe('x');
  });

  it('resolves waiting and later get() calls with undefined after shutdown, and ignores adds', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.addAfter('later', 10_000);
    queue.shutdown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    expect(await queue.get()).toBeUndefined();
    expect(queue.isShutDown).toBe(true);
  });

  describe('with fake timers', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('addAfter adds the key once its delay has passed, keeping the earliest of two delays', async () => {
      const queue = new WorkQueue();
      queue.addAfter('a', 100);
      queue.addAfter('a', 500);
      await vi.advanceTimersByTimeAsync(99);
      expect(queue.length).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(queue.length).toBe(1);
      expect(await queue.get()).toBe('a');
      queue.done('a');
      // The later delay was superseded, not scheduled as well.
      await vi.advanceTimersByTimeAsync(1_000);
      expect(queue.length).toBe(0);
    });

    it('an earlier addAfter replaces a later pending one', async () => {
      const queue = new WorkQueue();
      queue.addAfter('a', 500);
      queue.addAfter('a', 100);
      await vi.advanceTimersByTimeAsync(100);
      expect(queue.length).toBe(1);
      expect(await queue.get()).toBe('a');
      queue.done('a');
      await vi.advanceTimersByTimeAsync(1_000);
      expect(queue.length).toBe(0);
    });

    it('addAfter with no delay adds at once', () => {
      const queue = new WorkQueue();
      queue.addAfter('a', 0);
      expect(queue.length).toBe(1);
    });

    it('backs off exponentially per key from the base delay up to the cap, and forget() resets it', async () => {
      const queue = new WorkQueue({ backoff: { initialMs: 5, maxMs: 40 } });
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) {
        const before = Date.now();
        queue.addRateLimited('k');
        // Advance millisecond by millisecond until the key shows up.
        while (queue.length === 0) await vi.advanceTimersByTimeAsync(1);
        delays.push(Date.now() - before);
        expect(await queue.get()).toBe('k');
        queue.done('k');
      }
      expect(delays).toEqual([5, 10, 20, 40, 40, 40]);
      expect(queue.numRequeues('k')).toBe(6);

      // Other keys have their own back-off.
      queue.addRateLimited('other');
      await vi.advanceTimersByTimeAsync(5);
      expect(queue.length).toBe(1);
      expect(await queue.get()).toBe('other');
      queue.done('other');

      queue.forget('k');
      expect(queue.numRequeues('k')).toBe(0);
      queue.addRateLimited('k');
      await vi.advanceTimersByTimeAsync(5);
      expect(queue.length).toBe(1);
      expect(await queue.get()).toBe('k');
    });

    it('uses a 5 ms base and a 30 s cap by default', async () => {
      const queue = new WorkQueue();
      for (let i = 0; i < 30; i++) queue.addRateLimited('k');
      // Only the first (earliest, 5 ms) delayed add is kept.
      await vi.advanceTimersByTimeAsync(5);
      expect(queue.length).toBe(1);
      expect(await queue.get()).toBe('k');
      queue.done('k');
      queue.addRateLimited('k');
      await vi.advanceTimersByTimeAsync(29_999);
      expect(queue.length).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(queue.length).toBe(1);
    });

    it('shutdown cancels delayed adds', async () => {
      const queue = new WorkQueue();
      queue.addAfter('a', 10);
      queue.shutdown();
      await vi.advanceTimersByTimeAsync(100);
      expect(queue.length).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
