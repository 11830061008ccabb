// kubelet's eviction manager, for memory: every round it measures
// memory.available (memory-signals.ts) against --eviction-hard; while the
// threshold is met the node says MemoryPressure=True and one pod per round is
// evicted — the first of eviction-ranking.ts's order — its containers killed at
// once (hard eviction has no grace period), its status Failed/Evicted and an
// Evicted event on it. The condition turns False only once the threshold has not
// been met for the pressure transition period (kubelet's
// --eviction-pressure-transition-period), so it does not flap.
import { isTerminalPod, type NodeCondition, type Pod } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { PodEventSink } from '../events/pod-events.js';
import { evictionMessage, rankForMemoryPressure } from './eviction-ranking.js';
import { formatBytes, formatThreshold, thresholdBytes, type EvictionThreshold } from './eviction-threshold.js';
import type { MemoryObservation, MemorySignal, MemorySignalReader } from './memory-signals.js';

export interface EvictionManagerOptions {
  /** Undefined: nothing is evicted (the condition stays False). */
  readonly threshold: EvictionThreshold | undefined;
  readonly signals: MemorySignalReader;
  /** The pods bound to this node. */
  readonly pods: () => Iterable<Pod>;
  /** Kills the pod's containers; resolves once they have stopped. */
  readonly killPod: (pod: Pod) => Promise<void>;
  readonly events: PodEventSink;
  /** The MemoryPressure condition changed (and at start): the node reports it. */
  readonly onCondition: (condition: NodeCondition) => void;
  readonly pressureTransitionPeriodMs: number;
  /** Between rounds (kubelet: 10 s). */
  readonly intervalMs: number;
  readonly log: Logger;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
}

export interface Eviction {
  readonly message: string;
}

/** What one round saw and did (for logs and tests). */
export interface EvictionRound {
  readonly thresholdMet: boolean;
  readonly pressure: boolean;
  readonly availableBytes?: number;
  readonly evicted?: Pod;
}

const MEMORY_PRESSURE = 'MemoryPressure';

export class EvictionManager {
  private readonly evicted = new Map<string, Eviction>();
  private lastMetAt = Number.NEGATIVE_INFINITY;
  private current: NodeCondition;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: EvictionManagerOptions) {
    this.now = options.now ?? Date.now;
    this.current = memoryPressure(false, this.iso());
  }

  /** The node's MemoryPressure condition as of the last round. */
  get condition(): NodeCondition {
    return this.current;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Whether this pod was evicted, and with what message: by this process, or
   * (after an agent restart) as its reported status says. The reconciler then
   * keeps its containers stopped and reports it Failed.
   */
  evictionOf(pod: Pod): Eviction | undefined {
    const mine = this.evicted.get(pod.metadata.uid ?? '');
    if (mine) return mine;
    const status = pod.status;
    return status?.phase === 'Failed' && status.reason === 'Evicted' ? { message: status.message ?? '' } : undefined;
  }

  /** Forgets pods that are gone. */
  forget(uids: ReadonlySet<string>): void {
    for (const uid of this.evicted.keys()) if (!uids.has(uid)) this.evicted.delete(uid);
  }

  /** One round: measure, update the condition, evict at most one pod. */
  async synchronize(): Promise<EvictionRound> {
    const threshold = this.options.threshold;
    const all = [...this.options.pods()];
    this.forget(new Set(all.map((p) => p.metadata.uid ?? '')));
    if (!threshold) return { thresholdMet: false, pressure: false };
    // A pod being deleted stays a candidate, as in kubelet: until its containers
    // have stopped it holds its memory, and while it shut down gracefully, the
    // pods ranked after it would otherwise be evicted for memory it is about to free.
    const active = all.filter((pod) => !isTerminalPod(pod) && !this.evictionOf(pod));
    const observation = await this.options.signals.read(active);
    const worst = worstSignal(observation, threshold);
    const now = this.now();
    if (worst.met) this.lastMetAt = now;
    const pressure = worst.met || now - this.lastMetAt < this.options.pressureTransitionPeriodMs;
    this.setCondition(pressure);
    if (!worst.met) return { thresholdMet: false, pressure, availableBytes: worst.signal.availableBytes };

    const ranked = rankForMemoryPressure(active, observation.pods);
    const victim = ranked[0]?.pod;
    if (!victim) {
      this.options.log.warn({ available: formatBytes(worst.signal.availableBytes) }, 'memory eviction threshold met, but no pod to evict');
      return { thresholdMet: true, pressure, availableBytes: worst.signal.availableBytes };
    }
    const uid = victim.metadata.uid ?? '';
    const message = evictionMessage(victim, observation.pods.get(uid), formatThreshold(threshold, worst.signal.capacityBytes), worst.signal.availableBytes);
    this.evicted.set(uid, { message });
    this.options.log.warn({ pod: `${victim.metadata.namespace}/${victim.metadata.name}`, message }, 'evicting pod');
    this.options.events.record(victim, { type: 'Warning', reason: 'Evicted', message });
    await this.options.killPod(victim);
    return { thresholdMet: true, pressure, availableBytes: worst.signal.availableBytes, evicted: victim };
  }

  private setCondition(pressure: boolean): void {
    if ((this.current.status === 'True') === pressure) return;
    this.current = memoryPressure(pressure, this.iso());
    this.options.onCondition(this.current);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.synchronize()
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'eviction round failed'))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref?.();
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

/** The signal closest to (or furthest past) its threshold: the node's or the pods' allocatable. */
function worstSignal(observation: MemoryObservation, threshold: EvictionThreshold): { signal: MemorySignal; met: boolean } {
  const margin = (signal: MemorySignal): number => signal.availableBytes - thresholdBytes(threshold, signal.capacityBytes);
  const signal = margin(observation.allocatable) <= margin(observation.node) ? observation.allocatable : observation.node;
  return { signal, met: margin(signal) < 0 };
}

/** kubelet's wording for the condition. */
export function memoryPressure(pressure: boolean, at: string): NodeCondition {
  return pressure
    ? { type: MEMORY_PRESSURE, status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', lastTransitionTime: at }
    : { type: MEMORY_PRESSURE, status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastTransitionTime: at };
}
