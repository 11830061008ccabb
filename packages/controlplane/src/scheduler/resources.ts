// What a node offers and a pod asks for, in the units the scheduler adds up.

export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

export function emptyResources(): Resources {
  return { cpuMillis: 0, memoryBytes: 0, pods: 0 };
}

export function addResources(a: Resources, b: Resources): Resources {
  return { cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes, pods: a.pods + b.pods };
}

export function subtractResources(a: Resources, b: Resources): Resources {
  return { cpuMillis: a.cpuMillis - b.cpuMillis, memoryBytes: a.memoryBytes - b.memoryBytes, pods: a.pods - b.pods };
}
