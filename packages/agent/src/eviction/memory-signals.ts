// What the eviction manager measures, as kubelet does on cgroup v1:
// working set = memory.usage_in_bytes − total_inactive_file (memory.stat);
// memory.available = capacity − working set. Two signals: the node's, from
// /proc/meminfo MemAvailable (against the node's capacity), and the pods'
// (kubelet's allocatableMemory.available): allocatable − kubepods' working set.
// Per pod and per container, the working set of their cgroups ranks them.
import { readdir, readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Pod } from '@skiff/api/core';
import { KUBEPODS, podCgroupNameOf } from '../cgroups/pod-cgroup-layout.js';
import type { PodMemoryUsage } from './eviction-ranking.js';

export interface MemorySignal {
  readonly capacityBytes: number;
  readonly availableBytes: number;
}

export interface MemoryObservation {
  readonly node: MemorySignal;
  readonly allocatable: MemorySignal;
  /** By pod uid. */
  readonly pods: ReadonlyMap<string, PodMemoryUsage>;
}

export interface MemorySignalReader {
  read(pods: readonly Pod[]): Promise<MemoryObservation>;
}

/** Where a cgroup of the agent is in the memory hierarchy (PodCgroupManager.dir). */
export type MemoryCgroupDir = (name: string) => Promise<string | undefined>;

/** The working set of one v1 memory cgroup, or undefined if it does not exist. */
export async function workingSetOf(dir: string): Promise<number | undefined> {
  try {
    const [usage, stat] = await Promise.all([readFile(path.join(dir, 'memory.usage_in_bytes'), 'utf8'), readFile(path.join(dir, 'memory.stat'), 'utf8')]);
    const inactiveFile = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
    return Math.max(0, Number(usage.trim()) - inactiveFile);
  } catch {
    return undefined;
  }
}

/** MemAvailable of /proc/meminfo, in bytes. */
export function parseMemAvailable(meminfo: string): number {
  const match = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo);
  if (!match?.[1]) throw new Error('/proc/meminfo has no MemAvailable line');
  return Number(match[1]) * 1024;
}

export interface CgroupMemorySignalsOptions {
  readonly capacityBytes: number;
  readonly allocatableBytes: number;
  readonly memoryDir: MemoryCgroupDir;
  readonly meminfoPath?: string;
}

export class CgroupMemorySignals implements MemorySignalReader {
  constructor(private readonly options: CgroupMemorySignalsOptions) {}

  async read(pods: readonly Pod[]): Promise<MemoryObservation> {
    const meminfo = await readFile(this.options.meminfoPath ?? '/proc/meminfo', 'utf8');
    const kubepods = await this.options.memoryDir(KUBEPODS);
    const podsWorkingSet = kubepods ? ((await workingSetOf(kubepods)) ?? 0) : 0;
    const usage = new Map<string, PodMemoryUsage>();
    for (const pod of pods) {
      const measured = await this.podUsage(pod);
      if (measured) usage.set(pod.metadata.uid ?? '', measured);
    }
    return {
      node: { capacityBytes: this.options.capacityBytes, availableBytes: parseMemAvailable(meminfo) },
      allocatable: { capacityBytes: this.options.allocatableBytes, availableBytes: this.options.allocatableBytes - podsWorkingSet },
      pods: usage,
    };
  }

  private async podUsage(pod: Pod): Promise<PodMemoryUsage | undefined> {
    const dir = await this.options.memoryDir(podCgroupNameOf(pod));
    if (!dir) return undefined;
    const workingSetBytes = await workingSetOf(dir);
    if (workingSetBytes === undefined) return undefined;
    const containers = new Map<string, number>();
    const prefix = `${pod.metadata.uid ?? ''}-`;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      // Container cgroups are named by container id: <pod uid>-<container name>-<attempt>.
      const match = entry.isDirectory() && entry.name.startsWith(prefix) ? /^(.+)-\d+$/.exec(entry.name.slice(prefix.length)) : null;
      if (!match?.[1]) continue;
      const used = await workingSetOf(path.join(dir, entry.name));
      if (used !== undefined) containers.set(match[1], (containers.get(match[1]) ?? 0) + used);
    }
    return { workingSetBytes, containers };
  }
}
