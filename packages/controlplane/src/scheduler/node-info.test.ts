import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '@skiff/api';
import { DEFAULT_MAX_PODS, nodeInfoFromNode } from './node-info.js';

function node(overrides: Partial<Node> = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: { zone: 'a' } },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '50' },
      allocatable: { cpu: '3500m', memory: '7Gi', pods: '40' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
    ...overrides,
  };
}

function pod(name: string, cpu: string, memory: string, phase?: 'Running' | 'Succeeded' | 'Failed'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'i', resources: { requests: { cpu, memory } } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      nodeName: 'n1',
    },
    ...(phase ? { status: { phase } } : {}),
  };
}

describe('nodeInfoFromNode', () => {
  it('reads allocatable, labels, readiness and sums pod requests', () => {
    const info = nodeInfoFromNode(node(), [pod('a', '250m', '1Gi'), pod('b', '1', '512Mi')]);
    expect(info).toEqual({
      name: 'n1',
      labels: { zone: 'a' },
      allocatable: { cpuMillis: 3500, memoryBytes: 7 * 2 ** 30, pods: 40 },
      requested: { cpuMillis: 1250, memoryBytes: 2 ** 30 + 2 ** 29, pods: 2 },
      ready: true,
      unschedulable: false,
      taints: [],
    });
  });

  it('falls back to capacity per resource and defaults pods to 110', () => {
    const info = nodeInfoFromNode(
      node({ status: { capacity: { cpu: '2', memory: '4Gi' }, allocatable: { cpu: '1500m' } } }),
      [],
    );
    expect(info.allocatable).toEqual({ cpuMillis: 1500, memoryBytes: 4 * 2 ** 30, pods: DEFAULT_MAX_PODS });
  });

  it('treats a node without status as having nothing allocatable and not ready', () => {
    const { status: _omit, ...bare } = node();
    const info = nodeInfoFromNode(bare as Node, []);
    expect(info.allocatable).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: DEFAULT_MAX_PODS });
    expect(info.ready).toBe(false);
  });

  it('reads a malformed node quantity as 0 instead of throwing', () => {
    const info = nodeInfoFromNode(node({ status: { allocatable: { cpu: 'lots', memory: '1Gi', pods: 'x' } } }), []);
    expect(info.allocatable).toEqual({ cpuMillis: 0, memoryBytes: 2 ** 30, pods: 0 });
  });

  it('is ready only when the Ready condition is "True"', () => {
    for (const status of ['False', 'Unknown'] as const) {
      const info = nodeInfoFromNode(node({ status: { conditions: [{ type: 'Ready', status }] } }), []);
      expect(info.ready).toBe(false);
    }
    const other = nodeInfoFromNode(node({ status: { conditions: [{ type: 'MemoryPressure', status: 'True' }] } }), []);
    expect(other.ready).toBe(false);
  });

  it('copies cordon and taints', () => {
    const taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const }];
    const source = node({ spec: { unschedulable: true, taints } });
    const info = nodeInfoFromNode(source, []);
    expect(info.unschedulable).toBe(true);
    expect(info.taints).toEqual(taints);
    info.taints[0]!.key = 'changed';
    info.labels['zone'] = 'b';
    expect(source.spec.taints?.[0]?.key).toBe('dedicated');
    expect(source.metadata.labels?.['zone']).toBe('a');
  });

  it('does not count finished pods', () => {
    const info = nodeInfoFromNode(node(), [
      pod('done', '1', '1Gi', 'Succeeded'),
      pod('failed', '1', '1Gi', 'Failed'),
      pod('running', '100m', '1Mi', 'Running'),
    ]);
    expect(info.requested).toEqual({ cpuMillis: 100, memoryBytes: 2 ** 20, pods: 1 });
  });
});
