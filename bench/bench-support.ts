// Small helpers the benchmarks share: percentiles, a bounded-concurrency map,
// a promise wrapper for unary gRPC calls, a process's CPU time and memory.
import type { ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s on Linux

/**
 * With BENCH_CPU_PROFILE (and the preload, bench/cpu-profile-preload.ts) and without
 * BENCH_CPU_PROFILE_START, a benchmark profiles one window of a process it started:
 * the first SIGUSR2 starts V8's profiler there, the next one writes the profile.
 */
export function toggleCpuProfile(pid: number): void {
  if (process.env.BENCH_CPU_PROFILE && !process.env.BENCH_CPU_PROFILE_START) process.kill(pid, 'SIGUSR2');
}

/** CPU seconds (user + system, all threads) a process has used, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** A process's resident set and its peak (VmRSS, VmHWM), in bytes, from /proc/PID/status. */
export function residentBytes(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

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
