import { describe, expect, test } from 'vitest';
import { podQosClass, podResourceTotals } from './pod-qos.js';
import type { Container, Pod } from './types.js';

function pod(...resources: (Container['resources'] | undefined)[]): Pick<Pod, 'spec'> {
  return {
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: resources.map((r, i) => ({ name: `c${i}`, image: 'busybox', ...(r ? { resources: r } : {}) })),
    },
  };
}

const both = (cpu: string, memory: string) => ({ cpu, memory });

describe('podQosClass', () => {
  test('no requests or limits anywhere: BestEffort', () => {
    expect(podQosClass(pod(undefined, {}))).toBe('BestEffort');
    expect(podQosClass(pod({ requests: {}, limits: {} }))).toBe('BestEffort');
  });

  test('zero quantities count as unset', () => {
    expect(podQosClass(pod({ requests: both('0', '0') }))).toBe('BestEffort');
  });

  test('limits equal to requests for cpu and memory in every container: Guaranteed', () => {
    expect(podQosClass(pod({ requests: both('500m', '64Mi'), limits: both('500m', '64Mi') }, { requests: both('1', '1Gi'), limits: both('1000m', '1Gi') }))).toBe(
      'Guaranteed',
    );
  });

  test('limits without requests: the requests default to them, so Guaranteed', () => {
    expect(podQosClass(pod({ limits: both('250m', '32Mi') }))).toBe('Guaranteed');
  });

  test('a request below its limit: Burstable', () => {
    expect(podQosClass(pod({ requests: both('100m', '64Mi'), limits: both('500m', '64Mi') }))).toBe('Burstable');
  });

  test('only a memory limit: Burstable (cpu is unbounded)', () => {
    expect(podQosClass(pod({ limits: { memory: '64Mi' } }))).toBe('Burstable');
  });

  test('one Guaranteed container beside a BestEffort one: Burstable', () => {
    expect(podQosClass(pod({ requests: both('1', '1Gi'), limits: both('1', '1Gi') }, undefined))).toBe('Burstable');
  });

  test('only requests: Burstable', () => {
    expect(podQosClass(pod({ requests: { cpu: '10m' } }))).toBe('Burstable');
  });
});

describe('podResourceTotals', () => {
  test('sums requests, a limit standing in for a missing request', () => {
    const totals = podResourceTotals(pod({ requests: both('100m', '32Mi'), limits: both('500m', '64Mi') }, { limits: both('1', '128Mi') }));
    expect(totals).toEqual({
      requests: { cpuMillis: 1100, memoryBytes: 160 * 1024 * 1024 },
      limits: { cpuMillis: 1500, memoryBytes: 192 * 1024 * 1024 },
    });
  });

  test('a limit is the sum only when every container sets it', () => {
    expect(podResourceTotals(pod({ limits: { memory: '64Mi' } }, { requests: { cpu: '250m' } }))).toEqual({
      requests: { cpuMillis: 250, memoryBytes: 64 * 1024 * 1024 },
      limits: {},
    });
  });

  test('BestEffort: nothing', () => {
    expect(podResourceTotals(pod(undefined))).toEqual({ requests: { cpuMillis: 0, memoryBytes: 0 }, limits: {} });
  });
});
