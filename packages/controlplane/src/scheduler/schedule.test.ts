import { describe, expect, it } from 'vitest';
import type { NodeInfo } from './node-info.js';
import type { PodToPlace } from './pod-to-place.js';
import { describeUnschedulable, filterNodes, schedulePod } from './schedule.js';

const GI = 2 ** 30;

function nodeInfo(name: string, overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    labels: {},
    allocatable: { cpuMillis: 4000, memoryBytes: 8 * GI, pods: 110 },
    requested: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
    ready: true,
    unschedulable: false,
    taints: [],
    ...overrides,
  };
}

const pod: PodToPlace = { key: 'default/p', requests: { cpuMillis: 1000, memoryBytes: 2 * GI, pods: 1 } };

describe('schedulePod', () => {
  const nodes = [
    nodeInfo('empty'),
    nodeInfo('half', { requested: { cpuMillis: 2000, memoryBytes: 4 * GI, pods: 3 } }),
    nodeInfo('quarter', { requested: { cpuMillis: 1000, memoryBytes: 2 * GI, pods: 1 } }),
    nodeInfo('full', { requested: { cpuMillis: 3500, memoryBytes: 2 * GI, pods: 5 } }),
  ];

  it('binpack picks the fullest feasible node', () => {
    expect(schedulePod(pod, nodes, 'binpack')).toEqual({ node: 'half', score: 75 });
  });

  it('spread picks the emptiest node', () => {
    expect(schedulePod(pod, nodes, 'spread')).toEqual({ node: 'empty', score: 75 });
  });

  it('breaks ties by node name whatever the input order', () => {
    const twins = [nodeInfo('c'), nodeInfo('a'), nodeInfo('b')];
    expect(schedulePod(pod, twins, 'binpack')).toEqual({ node: 'a', score: 25 });
    expect(schedulePod(pod, [...twins].reverse(), 'spread')).toEqual({ node: 'a', score: 75 });
  });

  it('returns the count of each first reason when nothing fits', () => {
    const bad = [
      nodeInfo('nr1', { ready: false }),
      nodeInfo('nr2', { ready: false, unschedulable: true }),
      nodeInfo('mem1', { requested: { cpuMillis: 0, memoryBytes: 7 * GI, pods: 1 } }),
      nodeInfo('mem2', { requested: { cpuMillis: 0, memoryBytes: 7 * GI, pods: 1 } }),
      nodeInfo('mem3', { requested: { cpuMillis: 0, memoryBytes: 7 * GI, pods: 1 } }),
    ];
    const result = schedulePod(pod, bad, 'binpack');
    expect(result.node).toBeUndefined();
    if (result.node !== undefined) return;
    expect(result.reasons).toEqual(new Map([['node(s) not ready', 2], ['Insufficient memory', 3]]));
    expect(describeUnschedulable(bad.length, result.reasons)).toBe(
      '0/5 nodes are available: 3 Insufficient memory, 2 node(s) not ready.',
    );
  });

  it('fails with no reasons when there are no nodes', () => {
    const result = schedulePod(pod, [], 'binpack');
    expect(result).toEqual({ node: undefined, reasons: new Map() });
  });

  it('does not modify the nodes it is given', () => {
    const copy = structuredClone(nodes);
    schedulePod(pod, nodes, 'binpack');
    expect(nodes).toEqual(copy);
  });
});

describe('filterNodes', () => {
  it('separates feasible nodes from counted reasons', () => {
    const { feasible, reasons } = filterNodes(pod, [
      nodeInfo('ok'),
      nodeInfo('cordoned', { unschedulable: true }),
      nodeInfo('gpu', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }),
    ]);
    expect(feasible.map((n) => n.name)).toEqual(['ok']);
    expect(reasons).toEqual(
      new Map([
        ['node(s) were unschedulable', 1],
        ['node(s) had untolerated taint {gpu: }', 1],
      ]),
    );
  });
});

describe('describeUnschedulable', () => {
  it('orders by count, then text', () => {
    const reasons = new Map([
      ['Too many pods', 1],
      ['Insufficient cpu', 2],
      ['Insufficient memory', 2],
      ['node(s) not ready', 4],
    ]);
    expect(describeUnschedulable(9, reasons)).toBe(
      '0/9 nodes are available: 4 node(s) not ready, 2 Insufficient cpu, 2 Insufficient memory, 1 Too many pods.',
    );
  });

  it('handles an empty cluster', () => {
    expect(describeUnschedulable(0, new Map())).toBe('0/0 nodes are available.');
  });
});
