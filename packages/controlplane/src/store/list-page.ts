// A page of a list held in memory, cut as etcd cuts a range read with a start
// key and a limit: MemoryStore and WatchCache page their sorted lists with it.
import { compareKeys } from './memory-keyspace.js';
import type { KeyValue, ListOptions } from './store.js';

/** The keys of `sorted` (key byte order) from `fromKey` on, at most `limit` of them, and how many follow. */
export function pageOf(sorted: KeyValue[], options: ListOptions): { items: KeyValue[]; remaining?: number } {
  const { fromKey, limit } = options;
  const start = fromKey === undefined ? 0 : lowerBound(sorted, fromKey);
  // The whole list is handed on as it is, not copied.
  if (limit === undefined) return { items: start === 0 ? sorted : sorted.slice(start) };
  const end = Math.min(sorted.length, start + limit);
  return { items: sorted.slice(start, end), remaining: sorted.length - end };
}

function lowerBound(sorted: readonly KeyValue[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(sorted[middle]!.key, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
