// The agent's probes and lifecycle hooks, wired for the reconciler: one
// ProbeManager (startup, liveness, readiness) and one ContainerLifecycle
// (postStart, preStop) sharing the runtime, the clock and the event sink.
import type { Logger } from 'pino';
import { SYSTEM_CLOCK, type Clock } from '../credentials/certificate-renewer.js';
import type { PodEventSink } from '../events/pod-events.js';
import { ContainerLifecycle } from '../lifecycle/container-lifecycle.js';
import type { Runtime } from '../runtime/runtime.js';
import { ProbeManager } from './probe-manager.js';
import { prober } from './prober.js';

export { ProbeManager, type ProbeManagerOptions } from './probe-manager.js';
export { ProbeWorker, type ProbeKind } from './probe-worker.js';
export { prober, type RunProbe } from './prober.js';
export type { ProbeOutcome, ProbeTarget } from './probe-outcome.js';

export interface ContainerHealth {
  readonly probes: ProbeManager;
  readonly lifecycle: ContainerLifecycle;
}

export function containerHealth(options: { runtime: Runtime; events: PodEventSink; onChange: () => void; log: Logger; clock?: Clock }): ContainerHealth {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const log = options.log.child({ component: 'probes' });
  const lifecycle = new ContainerLifecycle({ runtime: options.runtime, events: options.events, clock, onChange: options.onChange, log });
  const probes = new ProbeManager({
    run: prober(options.runtime),
    clock,
    events: options.events,
    onChange: options.onChange,
    kill: (pod, container, state, graceMs, podIP) => lifecycle.stopContainer(pod, container, state, graceMs, podIP),
    holding: (id) => lifecycle.isStarting(id),
    log,
  });
  return { probes, lifecycle };
}
