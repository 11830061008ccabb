// kubelet's --system-reserved: what the host keeps for itself; the node offers
// pods capacity minus it (status.allocatable), and kubepods' cgroup is limited
// to it. Only cpu and memory are reserved here (no ephemeral-storage or pid).
import { cpuMillis, formatCpu, formatMemory, isQuantity, memoryBytes } from '@skiff/api/core';
import type { Capacity } from './host-capacity.js';

export interface Reserved {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

export const NOTHING_RESERVED: Reserved = { cpuMillis: 0, memoryBytes: 0 };

/** `cpu=500m,memory=1Gi` (either part may be left out). */
export function parseSystemReserved(text: string): Reserved {
  let cpu = 0;
  let memory = 0;
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq) : '';
    const value = entry.slice(eq + 1);
    if (name !== 'cpu' && name !== 'memory') {
      throw new Error(`--system-reserved: "${entry}" must be cpu=QUANTITY or memory=QUANTITY (e.g. cpu=500m,memory=1Gi)`);
    }
    if (!isQuantity(value)) throw new Error(`--system-reserved: ${name} "${value}" is not a quantity such as 500m or 1Gi`);
    if (name === 'cpu') cpu = cpuMillis(value);
    else memory = memoryBytes(value);
    if (cpu < 0 || memory < 0) throw new Error(`--system-reserved: ${name} must not be negative`);
  }
  return { cpuMillis: cpu, memoryBytes: memory };
}

/** capacity − reserved, per resource; refuses a reservation that leaves nothing. */
export function allocatableOf(capacity: Capacity, reserved: Reserved): Capacity {
  const cpu = cpuMillis(capacity.cpu) - reserved.cpuMillis;
  const memory = memoryBytes(capacity.memory) - reserved.memoryBytes;
  if (cpu <= 0) throw new Error(`--system-reserved: cpu ${formatCpu(reserved.cpuMillis)} leaves no cpu of the node's ${capacity.cpu} for pods`);
  if (memory <= 0) throw new Error(`--system-reserved: memory ${formatMemory(reserved.memoryBytes)} leaves no memory of the node's ${capacity.memory} for pods`);
  return { cpu: formatCpu(cpu), memory: formatMemory(memory), pods: capacity.pods };
}
