// The part of a pod that placement depends on, extracted once per decision so
// filters don't re-parse quantities for every node.
import { podQosClass, TAINT_NODE_MEMORY_PRESSURE, type Pod, type Toleration } from '@skiff/api';
import type { Resources } from './resources.js';
import { podRequests } from './pod-requests.js';

export interface PodToPlace {
  /** `namespace/name`. */
  key: string;
  requests: Resources;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

const MEMORY_PRESSURE_TOLERATION: Toleration = { key: TAINT_NODE_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' };

export function podToPlace(pod: Pod): PodToPlace {
  const placed: PodToPlace = { key: podKey(pod), requests: podRequests(pod.spec) };
  if (pod.spec.nodeSelector) placed.nodeSelector = { ...pod.spec.nodeSelector };
  const tolerations = (pod.spec.tolerations ?? []).map((t) => ({ ...t }));
  // As in Kubernetes, pods that are not BestEffort tolerate memory pressure:
  // they asked for memory and are the last to be evicted for it; new
  // BestEffort pods stay off a node that is short of memory.
  if (podQosClass(pod) !== 'BestEffort') tolerations.push(MEMORY_PRESSURE_TOLERATION);
  if (tolerations.length > 0) placed.tolerations = tolerations;
  return placed;
}
