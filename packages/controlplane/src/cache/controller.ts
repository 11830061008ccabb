// The loop every controller runs: take a key, sync it, and either forget its
// back-off (success) or re-add it rate-limited (failure). Syncs are
// level-triggered — they look at the current state for the key, not at the
// event that queued it — so retrying a key later is always correct.
import { silentLogger, type ControllerLogger } from './logger.js';
import type { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  /** For logs: "deployment", "garbage-collector". */
  readonly name: string;
  readonly queue: WorkQueue;
  readonly sync: (key: string) => Promise<void>;
  /** Keys processed concurrently (default 1); the queue never gives one key to two workers. */
  readonly workers?: number;
  readonly log?: ControllerLogger;
  /**
   * Workers start once this resolves (typically: every informer the sync reads
   * has synced), so no sync acts on an empty cache. If it rejects, the
   * controller never starts.
   */
  readonly ready?: Promise<void>;
}

export interface RunningController {
  /** Shuts the queue down and resolves once in-flight syncs have finished. */
  stop(): Promise<void>;
}

export function runController(options: ControllerOptions): RunningController {
  const { name, queue, sync } = options;
  const log = options.log ?? silentLogger;
  const workers = Math.max(1, options.workers ?? 1);

  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (error) {
        const retries = queue.numRequeues(key);
        // The first failures are usually a lost compare-and-swap race: quiet.
        const level = retries >= 5 ? 'warn' : 'debug';
        log[level]({ err: error, controller: name, key, retries }, 'sync failed; retrying with back-off');
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };

  let started = false;
  const running = (async () => {
    try {
      await options.ready;
    } catch (error) {
      if (!queue.isShutDown) log.error({ err: error, controller: name }, 'controller could not start');
      return;
    }
    if (queue.isShutDown) return;
    started = true;
    log.info({ controller: name, workers }, 'controller started');
    await Promise.all(Array.from({ length: workers }, () => worker()));
  })();

  return {
    async stop(): Promise<void> {
      queue.shutdown();
      // Not started yet: `ready` may never settle (etcd down), and there is
      // nothing in flight to wait for.
      if (started) await running;
    },
  };
}
