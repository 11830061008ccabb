import { describe, expect, it } from 'vitest';
import { waitFor } from '@skiff/testkit';
import type { Logger } from 'pino';
import { runController } from './controller.js';
import type { ControllerLogger } from './logger.js';
import { WorkQueue } from './work-queue.js';

/** A promise with its resolve function, to hold a sync open until the test lets go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('runController', () => {
  it('retries a failing key with back-off and forgets the back-off once it syncs', async () => {
    const queue = new WorkQueue({ backoff: { initialMs: 1, maxMs: 20 } });
    const attempts: number[] = [];
    const controller = runController({
      name: 'test',
      queue,
      sync: async () => {
        attempts.push(Date.now());
        if (attempts.length < 4) throw new Error(`attempt ${attempts.length} fails`);
      },
    });
    queue.add('k');
    await waitFor(() => attempts.length === 4, { timeoutMs: 5_000, intervalMs: 5, description: 'four sync attempts' });
    await waitFor(() => queue.numRequeues('k') === 0, { timeoutMs: 5_000, intervalMs: 5, description: 'the back-off to be forgotten' });
    await controller.stop();
  });

  it('never syncs one key twice at once, yet syncs different keys in parallel and misses no re-add', async () => {
    const queue = new WorkQueue();
    let inFlight = 0;
    let maxInFlight = 0;
    let overlapped = false;
    const perKey = new Map<string, number>();
    const syncsOf = new Map<string, number>();
    const gates = new Map<string, ReturnType<typeof gate>>();
    const controller = runController({
      name: 'test',
      queue,
      workers: 4,
      sync: async (key) => {
        const concurrent = (perKey.get(key) ?? 0) + 1;
        perKey.set(key, concurrent);
        if (concurrent > 1) overlapped = true;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        syncsOf.set(key, (syncsOf.get(key) ?? 0) + 1);
        const held = gates.get(key);
        if (held) await held.promise;
        inFlight -= 1;
        perKey.set(key, concurrent - 1);
      },
    });
    const a = gate();
    const b = gate();
    gates.set('a', a);
    gates.set('b', b);
    queue.add('a');
    queue.add('b');
    await waitFor(() => inFlight === 2, { timeoutMs: 5_000, intervalMs: 5, description: 'a and b in flight together' });
    // Re-adds while 'a' is in flight: exactly one more sync of 'a' after it finishes.
    gates.delete('a');
    queue.add('a');
    queue.add('a');
    a.open();
    await waitFor(() => syncsOf.get('a') === 2, { timeoutMs: 5_000, intervalMs: 5, description: 'a synced again' });
    b.open();
    await waitFor(() => inFlight === 0, { timeoutMs: 5_000, intervalMs: 5, description: 'all syncs done' });
    expect(syncsOf.get('a')).toBe(2);
    expect(syncsOf.get('b')).toBe(1);
    expect(maxInFlight).toBe(2);
    expect(overlapped).toBe(false);
    await controller.stop();
  });

  it('starts no sync before `ready` resolves', async () => {
    const queue = new WorkQueue();
    const ready = gate();
    const synced: string[] = [];
    const controller = runController({
      name: 'test',
      queue,
      ready: ready.promise,
      sync: async (key) => {
        synced.push(key);
      },
    });
    queue.add('k');
    // Let any eagerly started worker run; nothing may have been synced.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(synced).toEqual([]);
    ready.open();
    await waitFor(() => synced.length === 1, { timeoutMs: 5_000, intervalMs: 5, description: 'the sync after ready' });
    await controller.stop();
  });

  it('stop() waits for syncs in flight, and returns at once if never started', async () => {
    const queue = new WorkQueue();
    const held = gate();
    let finished = false;
    const controller = runController({
      name: 'test',
      queue,
      sync: async () => {
        await held.promise;
        finished = true;
      },
    });
    queue.add('k');
    await waitFor(() => queue.length === 0, { timeoutMs: 5_000, intervalMs: 5, description: 'k taken' });
    const stopped = controller.stop();
    held.open();
    await stopped;
    expect(finished).toBe(true);

    const never = runController({ name: 'never', queue: new WorkQueue(), ready: new Promise(() => {}), sync: async () => {} });
    await never.stop();
  });

  it('accepts a pino logger', () => {
    // Compile-time check: the control plane passes its pino Logger as is.
    const accepts = (logger: Logger): ControllerLogger => logger;
    expect(typeof accepts).toBe('function');
  });
});
