// ctl top's tables, as kubectl's metrics printer writes them: CPU in
// millicores ("12m", MilliValue: rounded up), memory in whole MiB ("34Mi",
// Value / 2^20: rounded down), node percentages of allocatable with integer
// division, and "<unknown>" for a node without metrics.
import { cpuMillis, memoryBytes, type Node, type NodeMetrics, type PodMetrics } from '@skiff/api';
import { renderTable } from './table.js';

const MI = 1024 * 1024;
const UNKNOWN = '<unknown>';

export const cpuCell = (millis: number): string => `${millis}m`;
export const memoryCell = (bytes: number): string => `${Math.floor(bytes / MI)}Mi`;

/** NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%), one line per node (those without metrics as <unknown>). */
export function renderTopNodes(nodes: readonly Node[], metrics: readonly NodeMetrics[]): string {
  const byName = new Map(metrics.map((m) => [m.metadata.name, m]));
  const rows = nodes.map((node) => {
    const sample = byName.get(node.metadata.name);
    if (!sample) return [node.metadata.name, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN];
    const cpu = cpuMillis(sample.usage.cpu);
    const memory = memoryBytes(sample.usage.memory);
    const allocatable = node.status?.allocatable ?? node.status?.capacity ?? {};
    const cpuAllocatable = allocatable['cpu'] !== undefined ? cpuMillis(allocatable['cpu']) : 0;
    const memoryAllocatable = allocatable['memory'] !== undefined ? memoryBytes(allocatable['memory']) : 0;
    return [node.metadata.name, cpuCell(cpu), percent(cpu, cpuAllocatable), memoryCell(memory), percent(memory, memoryAllocatable)];
  });
  return renderTable(['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'], rows);
}

export interface TopPodsOptions {
  readonly withNamespace: boolean;
  readonly containers: boolean;
}

/** NAME CPU(cores) MEMORY(bytes); NAMESPACE first with -A; POD NAME … per container with --containers. */
export function renderTopPods(pods: readonly PodMetrics[], options: TopPodsOptions): string {
  const namespace = (pod: PodMetrics): string[] => (options.withNamespace ? [pod.metadata.namespace ?? ''] : []);
  const headers = [...(options.withNamespace ? ['NAMESPACE'] : []), ...(options.containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
  const rows = options.containers
    ? pods.flatMap((pod) =>
        pod.containers.map((c) => [...namespace(pod), pod.metadata.name, c.name, cpuCell(cpuMillis(c.usage.cpu)), memoryCell(memoryBytes(c.usage.memory))]),
      )
    : pods.map((pod) => {
        // kubectl sums the containers' quantities, then rounds once.
        const cpu = pod.containers.reduce((sum, c) => sum + nanoCores(c.usage.cpu), 0);
        const memory = pod.containers.reduce((sum, c) => sum + memoryBytes(c.usage.memory), 0);
        return [...namespace(pod), pod.metadata.name, cpuCell(Math.ceil(cpu / 1e6)), memoryCell(memory)];
      });
  return renderTable(headers, rows);
}

/** Exact nanocores of a CPU quantity ("12345678n", "250m", "1"). */
function nanoCores(quantity: string): number {
  const match = /^(\d+)n$/.exec(quantity);
  return match?.[1] ? Number(match[1]) : cpuMillis(quantity) * 1e6;
}

function percent(used: number, allocatable: number): string {
  return allocatable > 0 ? `${Math.floor((used * 100) / allocatable)}%` : UNKNOWN;
}
