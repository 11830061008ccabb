// The arithmetic of resource usage from cgroup v1 files, as kubelet's cAdvisor
// does it: CPU is cpuacct.usage (cumulative nanoseconds of CPU time) turned
// into a rate between two readings; memory is the working set,
// memory.usage_in_bytes − total_inactive_file of memory.stat (page cache the
// kernel can drop at once does not count). Pure functions over the files'
// text, and the reads that feed them.
import { readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';

/** One reading of a cgroup: its cumulative CPU time and its memory working set, at a moment. */
export interface UsageReading {
  /** Milliseconds since the epoch (the clock of the reading, not of the kernel). */
  readonly atMs: number;
  /** cpuacct.usage: nanoseconds of CPU time since the cgroup was made. */
  readonly cpuNanos: bigint;
  readonly workingSetBytes: number;
}

/** cpuacct.usage: one decimal integer of nanoseconds. */
export function parseCpuacctUsage(text: string): bigint {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new Error(`cpuacct.usage holds ${JSON.stringify(trimmed.slice(0, 40))}, not a count of nanoseconds`);
  return BigInt(trimmed);
}

/** memory.usage_in_bytes − total_inactive_file (never below 0), as cAdvisor's working set. */
export function workingSetBytes(usageInBytes: string, memoryStat: string): number {
  const usage = Number(usageInBytes.trim());
  if (!Number.isFinite(usage)) throw new Error(`memory.usage_in_bytes holds ${JSON.stringify(usageInBytes.trim().slice(0, 40))}, not a number`);
  const inactiveFile = Number(/^total_inactive_file (\d+)$/m.exec(memoryStat)?.[1] ?? 0);
  return Math.max(0, usage - inactiveFile);
}

/**
 * The CPU rate between two readings of one cgroup, in nanocores (10⁹ = one core
 * busy): Δ CPU time / Δ wall time. Undefined when the window is empty or the
 * counter went backwards (a new cgroup of the same name: a restarted container).
 */
export function cpuNanoCores(previous: UsageReading, current: UsageReading): number | undefined {
  const windowMs = current.atMs - previous.atMs;
  if (windowMs <= 0 || current.cpuNanos < previous.cpuNanos) return undefined;
  // ns of CPU per ms of wall time × 10⁶ ms… keep it integral: Δns × 1000 / Δms = nanocores.
  return Number(((current.cpuNanos - previous.cpuNanos) * 1000n) / BigInt(Math.round(windowMs)));
}

/** Where to read one cgroup: its directory in the cpuacct and in the memory hierarchy. */
export interface CgroupDirs {
  readonly cpuacct: string;
  readonly memory: string;
}

/** Reads one cgroup now; undefined if it is gone (a container that just stopped). */
export async function readUsage(dirs: CgroupDirs, now: () => number = Date.now): Promise<UsageReading | undefined> {
  try {
    const [cpu, usage, stat] = await Promise.all([
      readFile(path.join(dirs.cpuacct, 'cpuacct.usage'), 'utf8'),
      readFile(path.join(dirs.memory, 'memory.usage_in_bytes'), 'utf8'),
      readFile(path.join(dirs.memory, 'memory.stat'), 'utf8'),
    ]);
    return { atMs: now(), cpuNanos: parseCpuacctUsage(cpu), workingSetBytes: workingSetBytes(usage, stat) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
