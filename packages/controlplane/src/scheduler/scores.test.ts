import { describe, expect, it } from 'vitest';
import type { NodeInfo } from './node-info.js';
import type { Resources } from './resources.js';
import { binPackScore, spreadScore, utilisationAfter } from './scores.js';

const GI = 2 ** 30;

function nodeInfo(allocatable: Partial<Resources>, requested: Partial<Resources>): NodeInfo {
  return {
    name: 'n',
    labels: {},
    allocatable: { cpuMillis: 0, memoryBytes: 0, pods: 110, ...allocatable },
    requested: { cpuMillis: 0, memoryBytes: 0, pods: 0, ...requested },
    ready: true,
    unschedulable: false,
    taints: [],
  };
}

function req(cpuMillis: number, memoryBytes: number): Resources {
  return { cpuMillis, memoryBytes, pods: 1 };
}

describe('binPackScore', () => {
  it('averages cpu and memory utilisation after placement (0.5, 0.5 → 50)', () => {
    const node = nodeInfo({ cpuMillis: 4000, memoryBytes: 8 * GI }, { cpuMillis: 1000, memoryBytes: 2 * GI });
    expect(binPackScore(req(1000, 2 * GI), node)).toBe(50);
    expect(spreadScore(req(1000, 2 * GI), node)).toBe(50);
  });

  it('weighs resources equally when they differ (0.75 cpu, 0.25 memory → 50)', () => {
    const node = nodeInfo({ cpuMillis: 4000, memoryBytes: 8 * GI }, { cpuMillis: 2000 });
    expect(binPackScore(req(1000, 2 * GI), node)).toBe(50);
  });

  it('scores an empty node by the pod alone (0.25 cpu, 0.125 memory → 18.75)', () => {
    const node = nodeInfo({ cpuMillis: 4000, memoryBytes: 16 * GI }, {});
    expect(binPackScore(req(1000, 2 * GI), node)).toBe(18.75);
    expect(spreadScore(req(1000, 2 * GI), node)).toBe(81.25);
  });

  it('gives an exactly filled node 100 and spread 0', () => {
    const node = nodeInfo({ cpuMillis: 4000, memoryBytes: 8 * GI }, { cpuMillis: 3000, memoryBytes: 6 * GI });
    expect(binPackScore(req(1000, 2 * GI), node)).toBe(100);
    expect(spreadScore(req(1000, 2 * GI), node)).toBe(0);
  });

  it('rounds to hundredths (1/3 cpu, 0 memory → 16.67)', () => {
    const node = nodeInfo({ cpuMillis: 3000, memoryBytes: GI }, {});
    expect(binPackScore(req(1000, 0), node)).toBe(16.67);
    expect(spreadScore(req(1000, 0), node)).toBe(83.33);
  });

  it('ignores a resource the node has none of (cpu only: 0.6 → 60)', () => {
    const node = nodeInfo({ cpuMillis: 5000 }, { cpuMillis: 2000 });
    expect(binPackScore(req(1000, 0), node)).toBe(60);
  });

  it('is 0 when the node has neither resource', () => {
    expect(binPackScore(req(0, 0), nodeInfo({}, {}))).toBe(0);
    expect(spreadScore(req(0, 0), nodeInfo({}, {}))).toBe(100);
  });

  it('clamps an over-committed resource at full', () => {
    const node = nodeInfo({ cpuMillis: 1000, memoryBytes: GI }, { cpuMillis: 1500, memoryBytes: GI / 2 });
    expect(utilisationAfter(req(0, 0), node)).toBe(0.75);
    expect(binPackScore(req(0, 0), node)).toBe(75);
  });

  it('prefers the fuller node and spread prefers the emptier one', () => {
    const fuller = nodeInfo({ cpuMillis: 4000, memoryBytes: 8 * GI }, { cpuMillis: 2000, memoryBytes: 4 * GI });
    const emptier = nodeInfo({ cpuMillis: 4000, memoryBytes: 8 * GI }, { cpuMillis: 500, memoryBytes: GI });
    const pod = req(500, GI);
    expect(binPackScore(pod, fuller)).toBe(62.5);
    expect(binPackScore(pod, emptier)).toBe(25);
    expect(spreadScore(pod, fuller)).toBe(37.5);
    expect(spreadScore(pod, emptier)).toBe(75);
  });
});
