// A pod's Quality of Service class and its resource totals, as Kubernetes
// computes them (pkg/apis/core/helper/qos): the agent puts the pod's cgroup
// under its class and ranks pods for eviction by it; every process reads it the same way.
import { cpuMillis, memoryBytes } from './quantity.js';
import type { Container, Pod, ResourceList } from './types.js';

export type PodQosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

type ComputeResource = 'cpu' | 'memory';
const COMPUTE: readonly ComputeResource[] = ['cpu', 'memory'];

/** The amount of a compute resource in base units (millicores, bytes); 0 for none. */
function amount(list: ResourceList | undefined, resource: ComputeResource): number {
  const value = list?.[resource];
  if (value === undefined) return 0;
  return resource === 'cpu' ? cpuMillis(value) : memoryBytes(value);
}

/**
 * A container's effective request: what it asks for, or — as the API server
 * defaults it — its limit when it sets a limit and no request.
 */
function request(container: Container, resource: ComputeResource): number {
  const requests = container.resources?.requests;
  if (requests?.[resource] !== undefined) return amount(requests, resource);
  return amount(container.resources?.limits, resource);
}

/**
 * Guaranteed: every container limits both cpu and memory, and the pod's summed
 * requests equal its summed limits. BestEffort: no container requests or
 * limits cpu or memory. Burstable: everything else. Zero quantities count as unset.
 */
export function podQosClass(pod: Pick<Pod, 'spec'>): PodQosClass {
  const requests = new Map<ComputeResource, number>();
  const limits = new Map<ComputeResource, number>();
  let guaranteed = true;
  // Init containers count too, as in Kubernetes: each must be guaranteed for the pod to be.
  for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const resource of COMPUTE) {
      const asked = request(container, resource);
      if (asked > 0) requests.set(resource, (requests.get(resource) ?? 0) + asked);
      const limit = amount(container.resources?.limits, resource);
      if (limit > 0) limits.set(resource, (limits.get(resource) ?? 0) + limit);
      else guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [resource, asked] of requests) if (limits.get(resource) !== asked) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export interface PodResourceTotals {
  /** Summed requests (a limit stands in for a missing request); 0 when none. */
  readonly requests: { readonly cpuMillis: number; readonly memoryBytes: number };
  /** Summed limits, each present only when every container sets it (otherwise the pod is unbounded in it). */
  readonly limits: { readonly cpuMillis?: number; readonly memoryBytes?: number };
}

/** What a pod's cgroup is sized by: kubelet's pod-level requests and limits. */
export function podResourceTotals(pod: Pick<Pod, 'spec'>): PodResourceTotals {
  // Init containers run alone, before the rest: the pod needs the larger of the biggest one and the app containers' sum.
  const inits = pod.spec.initContainers ?? [];
  const sum = (of: (container: Container) => number): number =>
    Math.max(pod.spec.containers.reduce((total, container) => total + of(container), 0), ...inits.map(of));
  const allLimit = (resource: ComputeResource): number | undefined =>
    pod.spec.containers.length > 0 && [...inits, ...pod.spec.containers].every((container) => amount(container.resources?.limits, resource) > 0)
      ? sum((container) => amount(container.resources?.limits, resource))
      : undefined;
  const cpuLimit = allLimit('cpu');
  const memoryLimit = allLimit('memory');
  return {
    requests: { cpuMillis: sum((c) => request(c, 'cpu')), memoryBytes: sum((c) => request(c, 'memory')) },
    limits: { ...(cpuLimit !== undefined ? { cpuMillis: cpuLimit } : {}), ...(memoryLimit !== undefined ? { memoryBytes: memoryLimit } : {}) },
  };
}
