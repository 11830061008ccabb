import { describe, expect, it } from 'vitest';
import type { Node, NodeCondition } from '@skiff/api';
import { conditionTaints, reconciledTaints } from './node-condition-taints.js';

function node(conditions: [string, NodeCondition['status']][], spec: Node['spec'] = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    spec,
    status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
  };
}

describe('conditionTaints (Kubernetes TaintNodesByCondition)', () => {
  it('a Ready node without pressure has none', () => {
    expect(conditionTaints(node([['Ready', 'True'], ['MemoryPressure', 'False']]))).toEqual([]);
  });

  it('maps each condition to its NoSchedule taint', () => {
    expect(conditionTaints(node([['Ready', 'False'], ['MemoryPressure', 'True'], ['DiskPressure', 'True'], ['PIDPressure', 'True'], ['NetworkUnavailable', 'True']]))).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' },
    ]);
  });

  it('Ready Unknown is unreachable, and a cordoned node is unschedulable', () => {
    expect(conditionTaints(node([['Ready', 'Unknown']], { unschedulable: true }))).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    ]);
  });
});

describe('reconciledTaints', () => {
  it('is undefined when the managed taints already agree, whatever their order', () => {
    const n = node([['Ready', 'False'], ['MemoryPressure', 'True']], {
      taints: [
        { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      ],
    });
    expect(reconciledTaints(n)).toBeUndefined();
  });

  it('remembers only a frozen (informer) node that agrees; a node that is not frozen is worked out again', () => {
    const frozen = Object.freeze(node([['Ready', 'True']]));
    expect(reconciledTaints(frozen)).toBeUndefined();
    expect(reconciledTaints(frozen)).toBeUndefined();
    const mutable = node([['Ready', 'True']]);
    expect(reconciledTaints(mutable)).toBeUndefined();
    mutable.status!.conditions![0]!.status = 'Unknown';
    expect(reconciledTaints(mutable)).toEqual([{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]);
  });

  it('adds what the conditions call for and keeps the user taints first', () => {
    const n = node([['Ready', 'True'], ['MemoryPressure', 'True']], { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(reconciledTaints(n)).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
    ]);
  });

  it('removes a managed taint whose condition cleared, but never a user NoExecute taint with a managed key', () => {
    const n = node([['Ready', 'True'], ['MemoryPressure', 'False']], {
      taints: [
        { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      ],
    });
    expect(reconciledTaints(n)).toEqual([{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
  });
});
