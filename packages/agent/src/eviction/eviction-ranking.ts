// Which pod goes first under memory pressure, and what it is told: kubelet's
// rankMemoryPressure (pkg/kubelet/eviction/helpers.go) — pods whose usage
// exceeds their memory requests first, then by priority (lower first), then by
// usage above requests (larger first). BestEffort pods request nothing, so any
// usage exceeds it and they come first; a Guaranteed pod cannot use more than
// it requests (limit = request), so it comes after every pod that does.
import { memoryBytes, podQosClass, type Container, type Pod, type PodQosClass } from '@skiff/api/core';
import { formatBytes } from './eviction-threshold.js';

export interface PodMemoryUsage {
  /** The pod cgroup's working set: usage − inactive file pages. */
  readonly workingSetBytes: number;
  /** Per container name, the same measure of its own cgroup. */
  readonly containers: ReadonlyMap<string, number>;
}

export interface EvictionCandidate {
  readonly pod: Pod;
  readonly qos: PodQosClass;
  readonly usageBytes: number;
  readonly requestBytes: number;
  readonly priority: number;
}

function requestOf(container: Container): number {
  const requested = container.resources?.requests?.memory ?? container.resources?.limits?.memory;
  return requested === undefined ? 0 : memoryBytes(requested);
}

/** Pod priority (spec.priority in Kubernetes; Skiff's pods carry none yet, so 0 unless set). */
function priorityOf(pod: Pod): number {
  const priority = (pod.spec as { priority?: unknown }).priority;
  return typeof priority === 'number' ? priority : 0;
}

/** The pods in eviction order; a pod without measured usage counts as using nothing. */
export function rankForMemoryPressure(pods: readonly Pod[], usage: ReadonlyMap<string, PodMemoryUsage>): EvictionCandidate[] {
  const candidates = pods.map((pod) => ({
    pod,
    qos: podQosClass(pod),
    usageBytes: usage.get(pod.metadata.uid ?? '')?.workingSetBytes ?? 0,
    requestBytes: pod.spec.containers.reduce((sum, c) => sum + requestOf(c), 0),
    priority: priorityOf(pod),
  }));
  const exceeds = (c: EvictionCandidate): number => (c.usageBytes > c.requestBytes ? 1 : 0);
  return candidates.sort(
    (a, b) =>
      exceeds(b) - exceeds(a) ||
      a.priority - b.priority ||
      b.usageBytes - b.requestBytes - (a.usageBytes - a.requestBytes) ||
      // Stable and deterministic between equals: by name.
      `${a.pod.metadata.namespace}/${a.pod.metadata.name}`.localeCompare(`${b.pod.metadata.namespace}/${b.pod.metadata.name}`),
  );
}

/**
 * kubelet's evictionMessage: "The node was low on resource: memory. Threshold
 * quantity: 100Mi, available: 93185Ki. Container fill was using 160Mi, request
 * is 0, has larger consumption of memory. " (one sentence per container using
 * more than it requests).
 */
export function evictionMessage(pod: Pod, usage: PodMemoryUsage | undefined, threshold: string, availableBytes: number): string {
  let message = `The node was low on resource: memory. Threshold quantity: ${threshold}, available: ${formatBytes(availableBytes)}. `;
  for (const container of pod.spec.containers) {
    const used = usage?.containers.get(container.name);
    if (used === undefined) continue;
    const request = requestOf(container);
    if (used > request) {
      message += `Container ${container.name} was using ${formatBytes(used)}, request is ${formatBytes(request)}, has larger consumption of memory. `;
    }
  }
  return message;
}
