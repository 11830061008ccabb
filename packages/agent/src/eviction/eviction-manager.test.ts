import type { Container, NodeCondition, Pod } from '@skiff/api';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PodEvent, PodEventSink } from '../events/pod-events.js';
import { EvictionManager } from './eviction-manager.js';
import type { PodMemoryUsage } from './eviction-ranking.js';
import type { MemoryObservation, MemorySignalReader } from './memory-signals.js';

const MI = 1024 * 1024;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(name: string, resources?: Container['resources'], status?: Pod['status']): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'main', image: 'x', ...(resources ? { resources } : {}) }] },
    ...(status ? { status } : {}),
  };
}

/** Memory as a test sets it: allocatable 300Mi, the pods' usage per name. */
class FakeSignals implements MemorySignalReader {
  usage = new Map<string, number>();
  nodeAvailable = 20_000 * MI;
  seen: string[][] = [];
  async read(pods: readonly Pod[]): Promise<MemoryObservation> {
    this.seen.push(pods.map((p) => p.metadata.name));
    const perPod = new Map<string, PodMemoryUsage>();
    let total = 0;
    for (const p of pods) {
      const used = (this.usage.get(p.metadata.name) ?? 0) * MI;
      total += used;
      perPod.set(p.metadata.uid ?? '', { workingSetBytes: used, containers: new Map([['main', used]]) });
    }
    return { node: { capacityBytes: 24_000 * MI, availableBytes: this.nodeAvailable }, allocatable: { capacityBytes: 300 * MI, availableBytes: 300 * MI - total }, pods: perPod };
  }
}

class RecordingEvents implements PodEventSink {
  readonly events: { pod: string; event: PodEvent }[] = [];
  record(pod: Pod, event: PodEvent): void {
    this.events.push({ pod: pod.metadata.name, event });
  }
}

function harness(pods: Pod[], transitionMs = 0) {
  let now = T0;
  const signals = new FakeSignals();
  const events = new RecordingEvents();
  const killed: string[] = [];
  const conditions: NodeCondition[] = [];
  const manager = new EvictionManager({
    threshold: { signal: 'memory.available', quantityBytes: 150 * MI },
    signals,
    pods: () => pods,
    killPod: async (p) => void killed.push(p.metadata.name),
    events,
    onCondition: (c) => void conditions.push(c),
    pressureTransitionPeriodMs: transitionMs,
    intervalMs: 10_000,
    log: pino({ level: 'silent' }),
    now: () => now,
  });
  return { manager, signals, events, killed, conditions, step: (ms: number) => (now += ms) };
}

describe('EvictionManager', () => {
  const besteffort = pod('besteffort');
  const burstable = pod('burstable', { requests: { memory: '100Mi' } });
  const filler = pod('filler', { limits: { cpu: '100m', memory: '200Mi' } });

  it('above the threshold: no pressure, nothing evicted', async () => {
    const h = harness([besteffort, burstable]);
    h.signals.usage.set('besteffort', 10);
    expect(await h.manager.synchronize()).toEqual({ thresholdMet: false, pressure: false, availableBytes: 290 * MI });
    expect(h.killed).toEqual([]);
    expect(h.conditions).toEqual([]);
    expect(h.manager.condition).toMatchObject({ type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' });
  });

  it('below it: MemoryPressure=True, one pod per round in rank order, each with an Evicted event and message', async () => {
    const h = harness([filler, burstable, besteffort]);
    h.signals.usage.set('filler', 180).set('burstable', 1).set('besteffort', 1);
    const first = await h.manager.synchronize();
    expect(first.evicted?.metadata.name).toBe('besteffort');
    expect(h.killed).toEqual(['besteffort']);
    const message =
      'The node was low on resource: memory. Threshold quantity: 150Mi, available: 118Mi. Container main was using 1Mi, request is 0, has larger consumption of memory. ';
    expect(h.events.events).toEqual([{ pod: 'besteffort', event: { type: 'Warning', reason: 'Evicted', message } }]);
    expect(h.manager.evictionOf(besteffort)).toEqual({ message });
    expect(h.conditions).toEqual([
      { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', lastTransitionTime: '2026-01-01T00:00:00.000Z' },
    ]);

    // Still short: the next round takes the next in rank — the filler (−20Mi under its request) before the burstable pod (−99Mi).
    h.step(10_000);
    expect((await h.manager.synchronize()).evicted?.metadata.name).toBe('filler');
    // The evicted pod is no longer measured or ranked.
    expect(h.signals.seen[1]).toEqual(['filler', 'burstable']);

    // Relief: False again, no more evictions.
    h.signals.usage.delete('filler');
    h.step(10_000);
    expect(await h.manager.synchronize()).toMatchObject({ thresholdMet: false, pressure: false });
    expect(h.killed).toEqual(['besteffort', 'filler']);
    expect(h.conditions.map((c) => [c.status, c.reason, c.lastTransitionTime])).toEqual([
      ['True', 'KubeletHasInsufficientMemory', '2026-01-01T00:00:00.000Z'],
      ['False', 'KubeletHasSufficientMemory', '2026-01-01T00:00:20.000Z'],
    ]);
  });

  it('keeps MemoryPressure=True for the transition period after the threshold stops being met', async () => {
    const h = harness([besteffort, filler], 30_000);
    h.signals.usage.set('filler', 200).set('besteffort', 1);
    await h.manager.synchronize();
    h.signals.usage.set('filler', 10);
    h.step(29_999);
    expect(await h.manager.synchronize()).toMatchObject({ thresholdMet: false, pressure: true });
    expect(h.killed).toEqual(['besteffort']);
    h.step(1);
    expect(await h.manager.synchronize()).toMatchObject({ thresholdMet: false, pressure: false });
    expect(h.conditions.map((c) => c.status)).toEqual(['True', 'False']);
  });

  it('the node signal counts too, its percentage against the node capacity', async () => {
    const h = harness([besteffort]);
    h.signals.nodeAvailable = 100 * MI;
    expect(await h.manager.synchronize()).toMatchObject({ thresholdMet: true, availableBytes: 100 * MI, evicted: besteffort });
  });

  it('a pod already Failed/Evicted (reported before an agent restart) counts as evicted and is not ranked again', async () => {
    const reported = pod('old', undefined, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. ' });
    const h = harness([reported, burstable]);
    h.signals.usage.set('burstable', 200);
    expect(h.manager.evictionOf(reported)).toEqual({ message: 'The node was low on resource: memory. ' });
    expect((await h.manager.synchronize()).evicted).toBe(burstable);
    expect(h.signals.seen[0]).toEqual(['burstable']);
  });

  it('a pod being deleted still holds its memory: it is ranked, killed at once, before a pod under its request', async () => {
    const deleting: Pod = { ...filler, metadata: { ...filler.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    const h = harness([deleting, burstable]);
    h.signals.usage.set('filler', 180).set('burstable', 1);
    expect((await h.manager.synchronize()).evicted).toBe(deleting);
    expect(h.killed).toEqual(['filler']);
    expect(h.signals.seen[0]).toEqual(['filler', 'burstable']);
  });

  it('without a threshold nothing is measured', async () => {
    const signals = new FakeSignals();
    const manager = new EvictionManager({
      threshold: undefined,
      signals,
      pods: () => [besteffort],
      killPod: async () => undefined,
      events: new RecordingEvents(),
      onCondition: () => undefined,
      pressureTransitionPeriodMs: 0,
      intervalMs: 10_000,
      log: pino({ level: 'silent' }),
    });
    expect(await manager.synchronize()).toEqual({ thresholdMet: false, pressure: false });
    expect(signals.seen).toEqual([]);
  });
});
