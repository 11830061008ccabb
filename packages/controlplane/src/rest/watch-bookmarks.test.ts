import { describe, expect, it } from 'vitest';
import { ManualClock } from '../store/memory-clock.js';
import { nextBookmarkAt, PRE_TIMEOUT_BOOKMARK_MS, WatchTimers, type WatchTimersOptions } from './watch-bookmarks.js';

function timers(clock: ManualClock, options: Partial<WatchTimersOptions> & { progress: () => number }) {
  const bookmarks: { at: number; revision: number }[] = [];
  let expiredAt: number | undefined;
  const start = clock.now();
  const watch = new WatchTimers({
    clock,
    bookmarkIntervalMs: 1_000,
    bookmarks: true,
    timeoutMs: undefined,
    bookmark: (revision) => bookmarks.push({ at: clock.now() - start, revision }),
    expire: () => (expiredAt = clock.now() - start),
    ...options,
  });
  watch.start();
  return { watch, bookmarks, expiredAt: () => expiredAt };
}

describe('nextBookmarkAt', () => {
  it('is an interval on, but never later than shortly before the deadline, and none once that is past', () => {
    expect(nextBookmarkAt(0, 60_000, undefined)).toBe(60_000);
    expect(nextBookmarkAt(0, 60_000, 30_000)).toBe(30_000 - PRE_TIMEOUT_BOOKMARK_MS);
    expect(nextBookmarkAt(0, 1_000, 30_000)).toBe(1_000);
    expect(nextBookmarkAt(28_000, 60_000, 30_000)).toBeUndefined();
    expect(nextBookmarkAt(0, 60_000, 1_000)).toBeUndefined();
  });
});

describe('WatchTimers', () => {
  it('sends a bookmark every interval, carrying the progress at that moment', () => {
    const clock = new ManualClock();
    let progress = 7;
    const { watch, bookmarks } = timers(clock, { progress: () => progress });
    clock.advance(999);
    expect(bookmarks).toEqual([]);
    clock.advance(1);
    progress = 12;
    clock.advance(1_000);
    clock.advance(1_000);
    expect(bookmarks).toEqual([
      { at: 1_000, revision: 7 },
      { at: 2_000, revision: 12 },
      { at: 3_000, revision: 12 },
    ]);
    watch.stop();
    clock.advance(10_000);
    expect(bookmarks).toHaveLength(3);
  });

  it('sends the last bookmark shortly before the timeout, then ends the watch at it', () => {
    const clock = new ManualClock();
    const { bookmarks, expiredAt } = timers(clock, { progress: () => 3, bookmarkIntervalMs: 60_000, timeoutMs: 10_000 });
    clock.advance(9_999);
    expect(bookmarks).toEqual([{ at: 10_000 - PRE_TIMEOUT_BOOKMARK_MS, revision: 3 }]);
    expect(expiredAt()).toBeUndefined();
    clock.advance(1);
    expect(expiredAt()).toBe(10_000);
    clock.advance(120_000);
    expect(bookmarks).toHaveLength(1);
  });

  it('without allowWatchBookmarks only ends the watch at its timeout', () => {
    const clock = new ManualClock();
    const { bookmarks, expiredAt } = timers(clock, { progress: () => 3, bookmarks: false, timeoutMs: 5_000 });
    clock.advance(60_000);
    expect(bookmarks).toEqual([]);
    expect(expiredAt()).toBe(5_000);
  });

  it('stops when a bookmark ends the watch', () => {
    const clock = new ManualClock();
    let sent = 0;
    const watch: WatchTimers = new WatchTimers({
      clock,
      bookmarkIntervalMs: 1_000,
      bookmarks: true,
      timeoutMs: undefined,
      progress: () => 1,
      bookmark: () => {
        sent++;
        watch.stop();
      },
      expire: () => {},
    });
    watch.start();
    clock.advance(5_000);
    expect(sent).toBe(1);
  });

  it('refuses an interval that is not positive', () => {
    expect(() => new WatchTimers({ bookmarkIntervalMs: 0, bookmarks: true, timeoutMs: undefined, progress: () => 0, bookmark: () => {}, expire: () => {} })).toThrow(/more than 0 ms/);
  });
});
