// The part of a pod that placement depends on, extracted once per decision so
// filters don't re-parse quantities for every node.
import type { Pod, Toleration } from '@skiff/api';
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

export function podToPlace(pod: Pod): PodToPlace {
  const placed: PodToPlace = { key: podKey(pod), requests: podRequests(pod.spec) };
  if (pod.spec.nodeSelector) placed.nodeSelector = { ...pod.spec.nodeSelector };
  if (pod.spec.tolerations) placed.tolerations = pod.spec.tolerations.map((t) => ({ ...t }));
  return placed;
}
