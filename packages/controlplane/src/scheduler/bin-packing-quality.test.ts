// How close best-fit comes to the ideal on a realistic mix: pods of several
// shapes (cpu-heavy and memory-heavy) arriving one at a time in a fixed
// pseudo-random order, placed through the cache exactly as the scheduler loop
// would (decide → assume → next pod sees it).
import { describe, expect, it } from 'vitest';
import { formatCpu, formatMemory, type Node } from '@skiff/api';
import type { Resources } from './resources.js';
import { schedulePod, type Strategy } from './schedule.js';
import { SchedulerCache } from './scheduler-cache.js';

const MI = 2 ** 20;
const GI = 2 ** 30;
const NODE_COUNT = 30;
const NODE_CPU = 4000;
const NODE_MEMORY = 16 * GI;
const POD_COUNT = 200;
const SEED = 0x5eed_2024;

/** Pod shapes and how often each occurs, out of the weights' total. */
const SHAPES: readonly { cpuMillis: number; memoryBytes: number; weight: number }[] = [
  { cpuMillis: 100, memoryBytes: 128 * MI, weight: 40 },
  { cpuMillis: 250, memoryBytes: 512 * MI, weight: 30 },
  { cpuMillis: 500, memoryBytes: 1 * GI, weight: 15 },
  { cpuMillis: 1000, memoryBytes: 4 * GI, weight: 10 },
  { cpuMillis: 2000, memoryBytes: 2 * GI, weight: 5 },
];

/**
 * xorshift32 (Marsaglia): tiny, seedable and identical on every platform, so
 * the workload — and therefore the measured ratio — never changes between runs.
 */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

function workload(): Resources[] {
  const random = xorshift32(SEED);
  const total = SHAPES.reduce((sum, s) => sum + s.weight, 0);
  const pods: Resources[] = [];
  for (let i = 0; i < POD_COUNT; i++) {
    let ticket = random() * total;
    const shape = SHAPES.find((s) => (ticket -= s.weight) < 0) ?? SHAPES[SHAPES.length - 1]!;
    pods.push({ cpuMillis: shape.cpuMillis, memoryBytes: shape.memoryBytes, pods: 1 });
  }
  return pods;
}

function node(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: {
      allocatable: { cpu: formatCpu(NODE_CPU), memory: formatMemory(NODE_MEMORY), pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

interface Outcome {
  nodesUsed: number;
  unscheduled: number;
}

function place(pods: readonly Resources[], strategy: Strategy): Outcome {
  const cache = new SchedulerCache();
  for (let i = 0; i < NODE_COUNT; i++) cache.setNode(node(`node-${String(i).padStart(2, '0')}`));
  let unscheduled = 0;
  pods.forEach((requests, i) => {
    const key = `default/pod-${i}`;
    const result = schedulePod({ key, requests }, cache.nodes(), strategy);
    if (result.node === undefined) unscheduled++;
    else cache.assume(key, result.node, requests);
  });
  const nodesUsed = cache.nodes().filter((n) => n.requested.pods > 0).length;
  return { nodesUsed, unscheduled };
}

describe('bin-packing quality', () => {
  const pods = workload();
  const totalCpu = pods.reduce((sum, p) => sum + p.cpuMillis, 0);
  const totalMemory = pods.reduce((sum, p) => sum + p.memoryBytes, 0);
  // No packing can beat the busier resource's total divided by one node's share.
  const lowerBound = Math.max(Math.ceil(totalCpu / NODE_CPU), Math.ceil(totalMemory / NODE_MEMORY));

  it('the workload is fixed and fits the cluster with room to spare', () => {
    expect(pods).toHaveLength(POD_COUNT);
    expect(new Set(pods.map((p) => p.cpuMillis)).size).toBe(SHAPES.length);
    expect(lowerBound).toBeLessThan(NODE_COUNT);
    expect(workload()).toEqual(pods);
  });

  it('binpack uses at most 10% more nodes than the lower bound', () => {
    const { nodesUsed, unscheduled } = place(pods, 'binpack');
    const ratio = nodesUsed / lowerBound;
    console.log(
      `bin-packing ratio: ${ratio.toFixed(2)}x (nodes used ${nodesUsed}, lower bound ${lowerBound}; ` +
        `${POD_COUNT} pods, cpu ${formatCpu(totalCpu)}, memory ${formatMemory(totalMemory)}, ` +
        `${NODE_COUNT} nodes of ${formatCpu(NODE_CPU)}/${formatMemory(NODE_MEMORY)})`,
    );
    expect(unscheduled).toBe(0);
    expect(ratio).toBeLessThanOrEqual(1.1);
  });

  it('spread places the same workload on more nodes than binpack', () => {
    const binpack = place(pods, 'binpack');
    const spread = place(pods, 'spread');
    console.log(`spread: nodes used ${spread.nodesUsed} vs binpack ${binpack.nodesUsed}`);
    expect(spread.unscheduled).toBe(0);
    expect(spread.nodesUsed).toBeGreaterThan(binpack.nodesUsed);
    expect(spread.nodesUsed).toBe(NODE_COUNT);
  });
});
