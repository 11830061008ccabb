// A work queue of object keys with the semantics of client-go's workqueue:
//  - de-duplication: a key waiting in the queue is queued once however often
//    it is added (many events for one object cost one sync);
//  - exclusivity: a key handed to a worker is not handed to another until the
//    worker calls done(key); if it was added meanwhile, it is queued again at
//    done(), so the change that arrived mid-sync is not lost;
//  - per-key exponential back-off for failed syncs (addRateLimited), reset by
//    forget(key) once a sync succeeds;
//  - delayed adds (addAfter), e.g. to re-check when an expectation expires.
// Keys are handed out in the order they were (first) added.

import { BACKOFF, backoffDelay, type BackoffPolicy } from '@skiff/api';

export interface WorkQueueOptions {
  /** Per-key back-off of rate-limited retries (default BACKOFF.workQueue: 5 ms doubling to 30 s). */
  readonly backoff?: BackoffPolicy;
}

export class WorkQueue {
  private readonly backoff: BackoffPolicy;
  /** Keys ready to be handed out, in order. */
  private readonly ready: string[] = [];
  /** Keys that need processing: in `ready`, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { readonly at: number; readonly timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.backoff = options.backoff ?? BACKOFF.workQueue;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // Being processed: done() queues it, so no second worker gets it now.
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.handOut();
  }

  /** Adds `key` after `delayMs`; an earlier pending delayed add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  /** Re-adds `key` after its back-off: base·2^n for the n-th consecutive failure, capped. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.nextDelay(key));
  }

  /** The back-off the next addRateLimited(key) will use, and counts the failure. */
  private nextDelay(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    return backoffDelay(this.backoff, failures);
  }

  /** Resets the back-off of `key` (its sync succeeded). Does not remove a pending delayed add. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many consecutive rate-limited re-adds `key` has had. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to process, once there is one; the caller owns it until
   * done(key). Resolves undefined when the queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.ready.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Ends processing of `key`; a re-add that arrived meanwhile is queued now. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.ready.push(key);
      this.handOut();
    }
  }

  /**
   * Stops the queue: adds are ignored, pending and delayed keys are dropped,
   * and every get() (waiting or future) resolves undefined. Keys in progress
   * may still be done().
   */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.ready.length = 0;
    this.dirty.clear();
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  get isShutDown(): boolean {
    return this.shuttingDown;
  }

  /** Keys waiting to be handed out (not counting delayed or in-progress ones). */
  get length(): number {
    return this.ready.length;
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private handOut(): void {
    while (this.getters.length > 0 && this.ready.length > 0) {
      const resolve = this.getters.shift();
      const key = this.ready.shift();
      if (resolve && key !== undefined) resolve(this.take(key));
    }
  }
}
