import type { Container, Pod } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { evictionMessage, rankForMemoryPressure, type PodMemoryUsage } from './eviction-ranking.js';

const MI = 1024 * 1024;

function pod(name: string, resources: Container['resources'][], priority?: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', ...(r ? { resources: r } : {}) })),
      ...(priority !== undefined ? { priority } : {}),
    } as Pod['spec'],
  };
}

const usage = (entries: Record<string, number>): Map<string, PodMemoryUsage> =>
  new Map(Object.entries(entries).map(([name, bytes]) => [`uid-${name}`, { workingSetBytes: bytes * MI, containers: new Map([['c0', bytes * MI]]) }]));

const guaranteed = { requests: { cpu: '100m', memory: '200Mi' }, limits: { cpu: '100m', memory: '200Mi' } };
const burstable = (memory: string) => ({ requests: { memory } });

describe('rankForMemoryPressure', () => {
  it('BestEffort (any usage exceeds its zero request) before Burstable under its request, Guaranteed under its request after pods above theirs', () => {
    const pods = [pod('guaranteed', [guaranteed]), pod('under', [burstable('100Mi')]), pod('besteffort', [undefined])];
    const ranked = rankForMemoryPressure(pods, usage({ guaranteed: 190, under: 1, besteffort: 1 }));
    // under: 1 − 100 = −99Mi; guaranteed: 190 − 200 = −10Mi, closer to its request, so before.
    expect(ranked.map((c) => c.pod.metadata.name)).toEqual(['besteffort', 'guaranteed', 'under']);
    expect(ranked.map((c) => c.qos)).toEqual(['BestEffort', 'Guaranteed', 'Burstable']);
  });

  it('among pods exceeding their requests, the largest excess first', () => {
    const pods = [pod('small-excess', [burstable('10Mi')]), pod('big-excess', [burstable('10Mi')]), pod('besteffort', [undefined])];
    const ranked = rankForMemoryPressure(pods, usage({ 'small-excess': 20, 'big-excess': 200, besteffort: 5 }));
    expect(ranked.map((c) => c.pod.metadata.name)).toEqual(['big-excess', 'small-excess', 'besteffort']);
  });

  it('exceeding requests outranks priority; priority outranks usage', () => {
    const pods = [pod('low-prio-under', [burstable('100Mi')], -10), pod('high-prio-over', [burstable('10Mi')], 1000), pod('over', [burstable('10Mi')])];
    const ranked = rankForMemoryPressure(pods, usage({ 'low-prio-under': 50, 'high-prio-over': 500, over: 11 }));
    expect(ranked.map((c) => c.pod.metadata.name)).toEqual(['over', 'high-prio-over', 'low-prio-under']);
  });

  it('an unmeasured pod counts as using nothing: it does not exceed', () => {
    const ranked = rankForMemoryPressure([pod('unmeasured', [undefined]), pod('measured', [burstable('1Mi')])], usage({ measured: 2 }));
    expect(ranked.map((c) => c.pod.metadata.name)).toEqual(['measured', 'unmeasured']);
  });

  it('a limit without a request requests the limit', () => {
    const [only] = rankForMemoryPressure([pod('limited', [{ limits: { memory: '64Mi' } }])], usage({ limited: 10 }));
    expect(only?.requestBytes).toBe(64 * MI);
  });
});

describe('evictionMessage', () => {
  it("names the threshold, what is available and each container above its request, in kubelet's words", () => {
    const p = pod('p', [undefined, burstable('100Mi')]);
    const measured: PodMemoryUsage = { workingSetBytes: 30 * MI, containers: new Map([['c0', 20 * MI + 4096], ['c1', 10 * MI]]) };
    expect(evictionMessage(p, measured, '150Mi', 93 * MI)).toBe(
      'The node was low on resource: memory. Threshold quantity: 150Mi, available: 93Mi. Container c0 was using 20484Ki, request is 0, has larger consumption of memory. ',
    );
  });

  it('a negative availability is printed as such', () => {
    expect(evictionMessage(pod('p', [undefined]), undefined, '100Mi', -4 * MI)).toBe('The node was low on resource: memory. Threshold quantity: 100Mi, available: -4Mi. ');
  });
});
