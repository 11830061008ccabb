// kubelet's words for what happens to a pod's containers, as PodEvents with
// kubelet's reasons, types and `spec.containers{NAME}` field path (see
// kubelet's images/image_manager.go and kuberuntime_container.go).
import type { Pod } from '@skiff/api/core';
import type { PodEvent } from './pod-events.js';
import type { PullResult } from '../images/image-store.js';

const about = (container: string) => ({ fieldPath: `spec.containers{${container}}` });

export const containerEvents = {
  pulling: (container: string, image: string): PodEvent => ({ type: 'Normal', reason: 'Pulling', message: `Pulling image ${JSON.stringify(image)}`, ...about(container) }),

  pulled: (container: string, image: string, result: PullResult): PodEvent => ({
    type: 'Normal',
    reason: 'Pulled',
    message: `Successfully pulled image ${JSON.stringify(image)} in ${goDuration(result.pullMs)} (${goDuration(result.totalMs)} including waiting). Image size: ${result.sizeBytes} bytes.`,
    ...about(container),
  }),

  present: (container: string, image: string): PodEvent => ({
    type: 'Normal',
    reason: 'Pulled',
    message: `Container image ${JSON.stringify(image)} already present on machine`,
    ...about(container),
  }),

  pullFailed: (container: string, image: string, problem: string): PodEvent => ({
    type: 'Warning',
    reason: 'Failed',
    message: `Failed to pull image ${JSON.stringify(image)}: ${problem}`,
    ...about(container),
  }),

  neverPull: (container: string, image: string): PodEvent => ({
    type: 'Warning',
    reason: 'ErrImageNeverPull',
    message: `Container image ${JSON.stringify(image)} is not present with pull policy of Never`,
    ...about(container),
  }),

  invalidName: (container: string, image: string, problem: string): PodEvent => ({
    type: 'Warning',
    reason: 'InspectFailed',
    message: `Failed to apply default image tag ${JSON.stringify(image)}: ${problem}`,
    ...about(container),
  }),

  /** kubelet's second word on a failed start: `Error: ErrImagePull`, `Error: ImagePullBackOff`, `Error: <why the container could not be made>`. */
  failed: (container: string, what: string): PodEvent => ({ type: 'Warning', reason: 'Failed', message: `Error: ${what}`, ...about(container) }),

  /** Normal, as kubelet has it: waiting out a failed pull is expected. */
  pullBackOff: (container: string, image: string): PodEvent => ({ type: 'Normal', reason: 'BackOff', message: `Back-off pulling image ${JSON.stringify(image)}`, ...about(container) }),

  crashBackOff: (pod: Pod, container: string): PodEvent => ({
    type: 'Warning',
    reason: 'BackOff',
    message: `Back-off restarting failed container ${container} in pod ${formatPod(pod)}`,
    ...about(container),
  }),

  created: (container: string): PodEvent => ({ type: 'Normal', reason: 'Created', message: `Created container: ${container}`, ...about(container) }),

  started: (container: string): PodEvent => ({ type: 'Normal', reason: 'Started', message: `Started container ${container}`, ...about(container) }),

  killing: (container: string): PodEvent => ({ type: 'Normal', reason: 'Killing', message: `Stopping container ${container}`, ...about(container) }),
};

/** kubelet's format.Pod: `name_namespace(uid)`. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`;
}

/** Milliseconds as Go prints a time.Duration truncated to the millisecond: 850ms, 1.234s, 1m5.5s, 2h0m1s. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.trunc(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = `${(whole % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
