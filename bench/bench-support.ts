// Small helpers the benchmarks share: percentiles, a bounded-concurrency map,
// and a promise wrapper for unary gRPC calls.
import type { ServiceError } from '@grpc/grpc-js';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export async function mapConcurrent<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function call<T>(invoke: (callback: (error: ServiceError | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => invoke((error, value) => (error ? reject(error) : resolve(value as T))));
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}
