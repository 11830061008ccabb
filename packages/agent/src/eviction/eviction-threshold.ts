// kubelet's --eviction-hard, for the one signal this agent evicts on:
// `memory.available<100Mi` or `memory.available<10%` (of the capacity the
// signal is measured against). Other kubelet signals (nodefs.available,
// imagefs.available, pid.available) are refused by name rather than ignored.
import { isQuantity, memoryBytes } from '@skiff/api/core';

export type EvictionThreshold =
  | { readonly signal: 'memory.available'; readonly quantityBytes: number }
  | { readonly signal: 'memory.available'; readonly percentage: number };

/** kubelet's default: --eviction-hard=memory.available<100Mi (the filesystem signals are not measured here). */
export const DEFAULT_EVICTION_HARD = 'memory.available<100Mi';

/** Parses `memory.available<Q` (comma-separated entries; the last one for a signal wins, as in kubelet's map). Empty: no eviction. */
export function parseEvictionHard(text: string): EvictionThreshold | undefined {
  let threshold: EvictionThreshold | undefined;
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([a-z.]+)(<)(.+)$/.exec(entry);
    if (!match) throw new Error(`--eviction-hard: "${entry}" must be SIGNAL<QUANTITY such as memory.available<100Mi`);
    const [, signal = '', , value = ''] = match;
    if (signal !== 'memory.available') {
      throw new Error(`--eviction-hard: signal "${signal}" is not supported; only memory.available is measured by this agent`);
    }
    if (value.endsWith('%')) {
      const percentage = Number(value.slice(0, -1));
      if (!/^\d+(\.\d+)?%$/.test(value) || percentage <= 0 || percentage > 100) {
        throw new Error(`--eviction-hard: "${value}" must be a percentage above 0 and at most 100`);
      }
      threshold = { signal, percentage };
    } else {
      if (!isQuantity(value) || memoryBytes(value) < 0) throw new Error(`--eviction-hard: "${value}" must be a quantity such as 100Mi or a percentage such as 10%`);
      threshold = { signal, quantityBytes: memoryBytes(value) };
    }
  }
  return threshold;
}

/** The threshold in bytes against a signal measured out of `capacityBytes`. */
export function thresholdBytes(threshold: EvictionThreshold, capacityBytes: number): number {
  return 'quantityBytes' in threshold ? threshold.quantityBytes : Math.ceil((capacityBytes * threshold.percentage) / 100);
}

/** How kubelet prints it in eviction messages: the quantity, or the percentage as given. */
export function formatThreshold(threshold: EvictionThreshold, capacityBytes: number): string {
  return formatBytes(thresholdBytes(threshold, capacityBytes));
}

/** Bytes as a binary-SI quantity the way Kubernetes prints them: 104857600 → "100Mi", 95421440 → "93185Ki", 1000 → "1000". */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(Math.round(bytes));
  if (value === 0) return '0';
  let suffix = 0;
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  while (value % 1024 === 0 && suffix < suffixes.length - 1) {
    value /= 1024;
    suffix += 1;
  }
  return `${sign}${value}${suffixes[suffix]}`;
}
