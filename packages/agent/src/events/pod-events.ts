// What the agent says about its pods, as kubelet does: Pulling/Pulled/Failed/
// BackOff for images, Evicted under resource pressure, Killing, Started. The
// sink records them as Kubernetes Events on the pod (through the control
// plane, with the node's identity); it never throws and never blocks the
// caller: losing an event is better than stalling a reconcile.
import type { Pod } from '@skiff/api/core';

export type PodEventType = 'Normal' | 'Warning';

export interface PodEvent {
  readonly type: PodEventType;
  /** CamelCase, kubelet's spelling: Pulling, Pulled, Failed, BackOff, Evicted, Killing, Started… */
  readonly reason: string;
  readonly message: string;
  /** The part of the pod it is about, like kubelet's `spec.containers{web}`. */
  readonly fieldPath?: string;
}

export interface PodEventSink {
  record(pod: Pod, event: PodEvent): void;
}

/** For an agent that has nowhere to send events (and unit tests that do not look). */
export const DISCARD_POD_EVENTS: PodEventSink = { record: () => undefined };
