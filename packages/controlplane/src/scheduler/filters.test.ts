import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import {
  DEFAULT_FILTERS,
  REASON_INSUFFICIENT_CPU,
  REASON_INSUFFICIENT_MEMORY,
  REASON_NOT_READY,
  REASON_SELECTOR_MISMATCH,
  REASON_TOO_MANY_PODS,
  REASON_UNSCHEDULABLE,
  firstDefaultRejection,
  firstRejection,
  fitsCpu,
  fitsMemory,
  fitsPods,
  nodeReady,
  nodeSchedulable,
  nodeSelectorMatches,
  podToPlace,
  taintsTolerated,
  type PodToPlace,
} from './filters.js';
import type { NodeInfo } from './node-info.js';

const GI = 2 ** 30;

function nodeInfo(overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name: 'n1',
    labels: { zone: 'a', disk: 'ssd' },
    allocatable: { cpuMillis: 4000, memoryBytes: 8 * GI, pods: 10 },
    requested: { cpuMillis: 1000, memoryBytes: 2 * GI, pods: 2 },
    ready: true,
    unschedulable: false,
    taints: [],
    ...overrides,
  };
}

function placing(overrides: Partial<PodToPlace> = {}): PodToPlace {
  return { key: 'default/p', requests: { cpuMillis: 1000, memoryBytes: GI, pods: 1 }, ...overrides };
}

describe('filters', () => {
  it('accept a healthy node with room', () => {
    for (const filter of DEFAULT_FILTERS) expect(filter(placing(), nodeInfo())).toBeUndefined();
  });

  it('reject a node that is not ready', () => {
    expect(nodeReady(placing(), nodeInfo({ ready: false }))).toBe(REASON_NOT_READY);
  });

  it('reject a cordoned node, unless the pod tolerates its unschedulable taint (daemon pods do)', () => {
    expect(nodeSchedulable(placing(), nodeInfo({ unschedulable: true }))).toBe(REASON_UNSCHEDULABLE);
    const tolerant = placing({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeSchedulable(tolerant, nodeInfo({ unschedulable: true }))).toBeUndefined();
  });

  it('keep new BestEffort pods off a node under memory pressure, but not pods that request memory', () => {
    const pressured = nodeInfo({ taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] });
    const pod = (resources: object | undefined): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
    }) as Pod;
    expect(taintsTolerated(podToPlace(pod(undefined)), pressured)).toBe('node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }');
    expect(taintsTolerated(podToPlace(pod({ requests: { memory: '16Mi' } })), pressured)).toBeUndefined();
    // The implicit toleration is for memory pressure only.
    const tainted = nodeInfo({ taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] });
    expect(taintsTolerated(podToPlace(pod({ requests: { memory: '16Mi' } })), tainted)).toBe('node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }');
  });

  it('check cpu against what is left, allowing an exact fit', () => {
    expect(fitsCpu(placing({ requests: { cpuMillis: 3000, memoryBytes: 0, pods: 1 } }), nodeInfo())).toBeUndefined();
    expect(fitsCpu(placing({ requests: { cpuMillis: 3001, memoryBytes: 0, pods: 1 } }), nodeInfo())).toBe(
      REASON_INSUFFICIENT_CPU,
    );
  });

  it('check memory against what is left, allowing an exact fit', () => {
    const exact = placing({ requests: { cpuMillis: 0, memoryBytes: 6 * GI, pods: 1 } });
    expect(fitsMemory(exact, nodeInfo())).toBeUndefined();
    expect(fitsMemory(placing({ requests: { cpuMillis: 0, memoryBytes: 6 * GI + 1, pods: 1 } }), nodeInfo())).toBe(
      REASON_INSUFFICIENT_MEMORY,
    );
  });

  it('let a zero request through even on an over-committed node', () => {
    const full = nodeInfo({ requested: { cpuMillis: 5000, memoryBytes: 9 * GI, pods: 2 } });
    const zero = placing({ requests: { cpuMillis: 0, memoryBytes: 0, pods: 1 } });
    expect(fitsCpu(zero, full)).toBeUndefined();
    expect(fitsMemory(zero, full)).toBeUndefined();
  });

  it('cap the number of pods', () => {
    expect(fitsPods(placing(), nodeInfo({ requested: { cpuMillis: 0, memoryBytes: 0, pods: 9 } }))).toBeUndefined();
    expect(fitsPods(placing(), nodeInfo({ requested: { cpuMillis: 0, memoryBytes: 0, pods: 10 } }))).toBe(
      REASON_TOO_MANY_PODS,
    );
  });

  it('require every nodeSelector label to match', () => {
    expect(nodeSelectorMatches(placing({ nodeSelector: { zone: 'a', disk: 'ssd' } }), nodeInfo())).toBeUndefined();
    expect(nodeSelectorMatches(placing({ nodeSelector: { zone: 'a', disk: 'hdd' } }), nodeInfo())).toBe(
      REASON_SELECTOR_MISMATCH,
    );
    expect(nodeSelectorMatches(placing({ nodeSelector: { gpu: 'true' } }), nodeInfo())).toBe(REASON_SELECTOR_MISMATCH);
    expect(nodeSelectorMatches(placing({ nodeSelector: {} }), nodeInfo())).toBeUndefined();
  });

  it('name the first untolerated hard taint', () => {
    const tainted = nodeInfo({
      taints: [
        { key: 'soft', effect: 'PreferNoSchedule' },
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'maintenance', effect: 'NoExecute' },
      ],
    });
    expect(taintsTolerated(placing(), tainted)).toBe('node(s) had untolerated taint {dedicated: gpu}');
    expect(taintsTolerated(placing({ tolerations: [{ key: 'dedicated', value: 'gpu' }] }), tainted)).toBe(
      'node(s) had untolerated taint {maintenance: }',
    );
    expect(taintsTolerated(placing({ tolerations: [{ operator: 'Exists' }] }), tainted)).toBeUndefined();
  });

  it('report only the first reason in pipeline order', () => {
    const bad = nodeInfo({
      ready: false,
      unschedulable: true,
      requested: { cpuMillis: 4000, memoryBytes: 8 * GI, pods: 10 },
    });
    expect(firstRejection(placing(), bad)).toBe(REASON_NOT_READY);
    expect(firstRejection(placing(), { ...bad, ready: true })).toBe(REASON_UNSCHEDULABLE);
    expect(firstRejection(placing(), { ...bad, ready: true, unschedulable: false })).toBe(REASON_INSUFFICIENT_CPU);
    expect(firstRejection(placing(), nodeInfo())).toBeUndefined();
  });

  it('answer, through the direct calls of the default pipeline, exactly as the array of filters does', () => {
    // Every combination of the seven ways to fail, each on a node of its own.
    const pod = placing({ nodeSelector: { zone: 'a' } });
    let compared = 0;
    for (let mask = 0; mask < 1 << 7; mask++) {
      const bit = (n: number): boolean => (mask & (1 << n)) !== 0;
      const node = nodeInfo({
        ready: !bit(0),
        unschedulable: bit(1),
        labels: bit(2) ? { zone: 'b' } : { zone: 'a' },
        taints: bit(3) ? [{ key: 'maintenance', effect: 'NoSchedule' }] : [],
        requested: { cpuMillis: bit(4) ? 3500 : 1000, memoryBytes: bit(5) ? 7.5 * GI : 2 * GI, pods: bit(6) ? 10 : 2 },
      });
      const byArray = DEFAULT_FILTERS.map((filter) => filter(pod, node)).find((reason) => reason !== undefined);
      expect(firstDefaultRejection(pod, node)).toBe(byArray);
      expect(firstRejection(pod, node)).toBe(byArray);
      compared++;
    }
    expect(compared).toBe(128);
  });
});

describe('podToPlace', () => {
  it('extracts key, requests, selector and tolerations', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '500m', memory: '1Gi' } } }],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        nodeSelector: { zone: 'a' },
        tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      },
    };
    expect(podToPlace(pod)).toEqual({
      key: 'shop/web',
      requests: { cpuMillis: 500, memoryBytes: GI, pods: 1 },
      nodeSelector: { zone: 'a' },
      // A Burstable pod also tolerates memory pressure, as in Kubernetes.
      tolerations: [{ key: 'dedicated', operator: 'Exists' }, { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }],
    });
  });

  it('defaults the namespace and omits absent constraints', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'job' },
      spec: { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Never', terminationGracePeriodSeconds: 0 },
    };
    expect(podToPlace(pod)).toEqual({ key: 'default/job', requests: { cpuMillis: 0, memoryBytes: 0, pods: 1 } });
  });
});
