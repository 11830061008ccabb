// What this node offers: flags win, otherwise what the host has.
import { availableParallelism, totalmem } from 'node:os';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from '@skiff/api/core';

export interface Capacity {
  readonly cpu: string;
  readonly memory: string;
  readonly pods: string;
}

export function detectCapacity(overrides: { cpu?: string; memory?: string; pods?: string }): Capacity {
  const cpu = overrides.cpu ?? formatCpu(availableParallelism() * 1000);
  const memory = overrides.memory ?? formatMemory(totalmem());
  const pods = overrides.pods ?? '110';
  // Fail at start-up, not at the first scheduling decision.
  cpuMillis(cpu);
  memoryBytes(memory);
  if (!/^\d+$/.test(pods)) throw new Error(`--pods must be a whole number, not "${pods}"`);
  return { cpu, memory, pods };
}
