// Labels the agent stores with every container, so after a restart it can
// tell which pod and attempt a container belongs to without asking anyone.
import type { ContainerState } from './runtime/runtime.js';

export const LABEL = {
  podUid: 'skiff.pod.uid',
  podNamespace: 'skiff.pod.namespace',
  podName: 'skiff.pod.name',
  container: 'skiff.container.name',
  attempt: 'skiff.container.attempt',
  /** Grace period to use when the pod is gone and its spec with it. */
  graceSeconds: 'skiff.pod.grace-seconds',
  /** The image's StopSignal, when it has one (pod-termination.ts sends it instead of SIGTERM). */
  stopSignal: 'skiff.container.stop-signal',
} as const;

export function attemptOf(state: ContainerState): number {
  return Number(state.labels[LABEL.attempt] ?? 0);
}

export function containerId(podUid: string, container: string, attempt: number): string {
  return `${podUid}-${container}-${attempt}`;
}
