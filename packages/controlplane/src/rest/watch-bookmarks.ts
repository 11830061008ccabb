// The clock of one REST watch: its BOOKMARK events (allowWatchBookmarks=true)
// and its end (timeoutSeconds). As kube-apiserver's cacheWatcher
// (nextBookmarkTime), a bookmark goes out about every interval (a minute by
// default) and once more shortly before the watch times out, so a client
// restarting it resumes from a revision as new as the server could give,
// instead of one that may have been compacted away (410 Gone, a relist).
//
// What a bookmark carries is the watch's progress (WatchHandle.progress):
// the revision up to which the store has handed over every event of the
// watch, so it never names a revision past an event still to come. Served
// from the watch cache, that moves with every write in the cluster, not just
// the watched kind's.
import type { MemoryStoreClock } from '../store/memory-clock.js';
import { systemClock } from '../store/memory-clock.js';

/** kube-apiserver sends a bookmark about every minute. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
/** ... and the last one this long before the watch's timeout. */
export const PRE_TIMEOUT_BOOKMARK_MS = 2_000;

export interface WatchTimersOptions {
  /** Injected time (store/memory-clock.ts ManualClock in tests); default the process clock. */
  readonly clock?: MemoryStoreClock;
  readonly bookmarkIntervalMs?: number;
  /** allowWatchBookmarks: without it, no bookmarks (the timeout still applies). */
  readonly bookmarks: boolean;
  /** timeoutSeconds in ms; undefined: no end of its own. */
  readonly timeoutMs: number | undefined;
  /** The revision the watch has caught up to. */
  readonly progress: () => number;
  readonly bookmark: (revision: number) => void;
  /** The timeout passed: end the watch. */
  readonly expire: () => void;
}

/** When the next bookmark is due after `now`, or undefined when none is before the deadline's pre-timeout bookmark. */
export function nextBookmarkAt(now: number, intervalMs: number, deadline: number | undefined): number | undefined {
  let at = now + intervalMs;
  if (deadline !== undefined) at = Math.min(at, deadline - PRE_TIMEOUT_BOOKMARK_MS);
  return at > now ? at : undefined;
}

export class WatchTimers {
  private readonly clock: MemoryStoreClock;
  private readonly intervalMs: number;
  private deadline: number | undefined;
  private bookmarkTimer: unknown;
  private expireTimer: unknown;
  private stopped = false;

  constructor(private readonly options: WatchTimersOptions) {
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    if (!(this.intervalMs > 0)) throw new RangeError(`the bookmark interval must be more than 0 ms, not ${this.intervalMs}`);
  }

  start(): void {
    const now = this.clock.now();
    if (this.options.timeoutMs !== undefined) {
      this.deadline = now + this.options.timeoutMs;
      this.expireTimer = this.clock.setTimeout(() => {
        this.stop();
        this.options.expire();
      }, this.options.timeoutMs);
    }
    if (this.options.bookmarks) this.scheduleBookmark(now);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.bookmarkTimer);
    this.clock.clearTimeout(this.expireTimer);
  }

  private scheduleBookmark(now: number): void {
    const at = nextBookmarkAt(now, this.intervalMs, this.deadline);
    if (at === undefined) return;
    this.bookmarkTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.options.bookmark(this.options.progress());
      // The bookmark may have ended the watch (a closed response).
      if (!this.stopped) this.scheduleBookmark(this.clock.now());
    }, at - now);
  }
}
