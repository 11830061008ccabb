import type { Container, Pod } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { burstableShares, milliCpuToQuota, milliCpuToShares, podCgroupConfig, podCgroupName } from './pod-cgroup-layout.js';

const MI = 1024 * 1024;

function pod(uid: string, ...resources: (Container['resources'] | undefined)[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: uid, uid },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', ...(r ? { resources: r } : {}) })) },
  };
}

describe('pod cgroup layout', () => {
  it("kubelet's cgroupfs names: Guaranteed directly under kubepods, the others under their class", () => {
    expect(podCgroupName('Guaranteed', 'u1')).toBe('kubepods/podu1');
    expect(podCgroupName('Burstable', 'u1')).toBe('kubepods/burstable/podu1');
    expect(podCgroupName('BestEffort', 'u1')).toBe('kubepods/besteffort/podu1');
  });

  it("kubelet's MilliCPUToShares and MilliCPUToQuota", () => {
    expect([0, 1, 2, 100, 250, 1000, 1500].map(milliCpuToShares)).toEqual([2, 2, 2, 102, 256, 1024, 1536]);
    expect([1, 5, 250, 1000, 2500].map(milliCpuToQuota)).toEqual([1000, 1000, 25000, 100000, 250000]);
  });

  it('Guaranteed: shares from the summed requests, quota and memory limit from the summed limits', () => {
    const g = { limits: { cpu: '250m', memory: '64Mi' } };
    expect(podCgroupConfig(pod('g', g, g))).toEqual({ name: 'kubepods/podg', qos: 'Guaranteed', cpuShares: 512, cpuQuotaUs: 50_000, memoryLimitBytes: 128 * MI, cpuRequestMillis: 500 });
  });

  it('Burstable: a limit only where every container sets one', () => {
    expect(podCgroupConfig(pod('b', { requests: { cpu: '100m', memory: '10Mi' }, limits: { memory: '20Mi' } }, { requests: { cpu: '50m' } }))).toEqual({
      name: 'kubepods/burstable/podb',
      qos: 'Burstable',
      cpuShares: 153,
      cpuRequestMillis: 150,
    });
    expect(podCgroupConfig(pod('m', { requests: { memory: '10Mi' }, limits: { memory: '20Mi' } }))).toEqual({
      name: 'kubepods/burstable/podm',
      qos: 'Burstable',
      cpuShares: 2,
      memoryLimitBytes: 20 * MI,
      cpuRequestMillis: 0,
    });
  });

  it('BestEffort: 2 shares, no limits', () => {
    expect(podCgroupConfig(pod('e', undefined))).toEqual({ name: 'kubepods/besteffort/pode', qos: 'BestEffort', cpuShares: 2, cpuRequestMillis: 0 });
  });

  it("the burstable class's shares: the sum of its pods' cpu requests", () => {
    const configs = [pod('a', { requests: { cpu: '100m' } }), pod('b', { requests: { cpu: '400m' } }), pod('g', { limits: { cpu: '1', memory: '1Gi' } }), pod('e')].map(podCgroupConfig);
    expect(burstableShares(configs)).toBe(512);
    expect(burstableShares([])).toBe(2);
  });
});
