// What a runc node offers pods and how it holds them to it: allocatable =
// capacity − --system-reserved, the pod cgroups under kubepods sized to it,
// and the memory-pressure eviction manager that watches them.
import { cpuMillis, memoryBytes, type Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import { PodCgroupManager } from './cgroups/pod-cgroup-manager.js';
import type { PodEventSink } from './events/pod-events.js';
import { EvictionManager } from './eviction/eviction-manager.js';
import type { EvictionThreshold } from './eviction/eviction-threshold.js';
import { CgroupMemorySignals } from './eviction/memory-signals.js';
import { podKiller } from './eviction/pod-killer.js';
import { detectCapacity, type Capacity } from './host-capacity.js';
import { allocatableOf, NOTHING_RESERVED, type Reserved } from './node-allocatable.js';
import type { Runtime } from './runtime/runtime.js';

/** kubelet's --eviction-hard and its timing. */
export interface EvictionConfig {
  readonly threshold?: EvictionThreshold;
  readonly pressureTransitionPeriodMs: number;
  readonly intervalMs: number;
}

export interface NodeResources {
  readonly capacity: Capacity;
  readonly allocatable: Capacity;
}

/** What the node has, and what it offers pods: capacity − --system-reserved. */
export function nodeResources(capacity: Parameters<typeof detectCapacity>[0], reserved: Reserved | undefined): NodeResources {
  const detected = detectCapacity(capacity);
  return { capacity: detected, allocatable: allocatableOf(detected, reserved ?? NOTHING_RESERVED) };
}

export function podCgroupManager(instanceName: string, allocatable: { memoryBytes: number; cpuMillis: number }, log: Logger): PodCgroupManager {
  return new PodCgroupManager({ instanceName, allocatable, log });
}

/** kubepods sized to the allocatable, its QoS classes (made now, so eviction can measure them from the start). */
export async function createPodCgroups(instanceName: string, allocatable: Capacity, log: Logger): Promise<PodCgroupManager> {
  const manager = podCgroupManager(instanceName, { memoryBytes: memoryBytes(allocatable.memory), cpuMillis: cpuMillis(allocatable.cpu) }, log);
  await manager.init();
  return manager;
}

export interface EvictionWiring {
  readonly runtime: Runtime;
  readonly podCgroups: PodCgroupManager;
  readonly resources: NodeResources;
  /** The pods the node should run now. */
  readonly pods: () => Iterable<Pod>;
  /** A reconcile pass, after a pod's containers were killed. */
  readonly trigger: () => void;
  /** Looked up per event: the sink may be made after the eviction manager. */
  readonly events: () => PodEventSink;
  readonly onCondition: (condition: EvictionManager['condition']) => void;
  readonly log: Logger;
}

export function createEvictions(eviction: EvictionConfig | undefined, w: EvictionWiring): EvictionManager | undefined {
  if (!eviction) return undefined;
  return new EvictionManager({
    threshold: eviction.threshold,
    signals: new CgroupMemorySignals({
      capacityBytes: memoryBytes(w.resources.capacity.memory),
      allocatableBytes: memoryBytes(w.resources.allocatable.memory),
      memoryDir: (name) => w.podCgroups.dir('memory', name),
    }),
    pods: w.pods,
    killPod: podKiller(w.runtime, w.trigger),
    events: { record: (pod, event) => w.events().record(pod, event) },
    onCondition: w.onCondition,
    pressureTransitionPeriodMs: eviction.pressureTransitionPeriodMs,
    intervalMs: eviction.intervalMs,
    log: w.log,
  });
}
