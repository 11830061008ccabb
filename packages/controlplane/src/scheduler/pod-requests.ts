// What a pod asks of a node: the sum of its containers' requests, or its largest init container's if that is more.
import { cpuMillis, memoryBytes, type Container, type PodSpec } from '@skiff/api';
import type { Resources } from './resources.js';

/**
 * Sums the containers' requests. A resource with a limit but no request counts
 * its limit, because Kubernetes' defaulting sets request = limit in that case
 * and the scheduler must reserve what the container is promised.
 *
 * Quantities are trusted to have passed schema validation; a malformed one
 * throws RangeError (from @skiff/api's parsers) rather than being guessed at.
 */
export function podRequests(spec: PodSpec): Resources {
  let cpu = 0;
  let memory = 0;
  for (const container of spec.containers) {
    cpu += containerRequest(container, 'cpu', cpuMillis);
    memory += containerRequest(container, 'memory', memoryBytes);
  }
  // Init containers run one at a time before the app containers: the pod needs the larger of
  // its biggest init container and the app containers together, per resource (Kubernetes' rule).
  for (const container of spec.initContainers ?? []) {
    cpu = Math.max(cpu, containerRequest(container, 'cpu', cpuMillis));
    memory = Math.max(memory, containerRequest(container, 'memory', memoryBytes));
  }
  return { cpuMillis: cpu, memoryBytes: memory, pods: 1 };
}

function containerRequest(container: Container, resource: 'cpu' | 'memory', parse: (q: string) => number): number {
  const value = container.resources?.requests?.[resource] ?? container.resources?.limits?.[resource];
  return value === undefined ? 0 : parse(value);
}
