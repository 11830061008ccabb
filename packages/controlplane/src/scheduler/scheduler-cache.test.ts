import { describe, expect, it } from 'vitest';
import type { Node, Pod, PodPhase } from '@skiff/api';
import { SchedulerCache } from './scheduler-cache.js';

const GI = 2 ** 30;

function node(name: string, cpu = '4', memory = '8Gi'): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { allocatable: { cpu, memory, pods: '10' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, nodeName: string | undefined, cpu = '1', memory = '1Gi', phase: PodPhase = 'Running'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'i', resources: { requests: { cpu, memory } } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      ...(nodeName === undefined ? {} : { nodeName }),
    },
    status: { phase },
  };
}

function requested(cache: SchedulerCache, name: string): unknown {
  return cache.node(name)?.requested;
}

describe('SchedulerCache', () => {
  it('lists nodes sorted by name with their bound pods counted', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('b'));
    cache.setNode(node('a'));
    cache.addPod(pod('p1', 'a'));
    cache.addPod(pod('p2', 'a', '500m', '512Mi'));
    expect(cache.nodes().map((n) => [n.name, n.requested])).toEqual([
      ['a', { cpuMillis: 1500, memoryBytes: 1.5 * GI, pods: 2 }],
      ['b', { cpuMillis: 0, memoryBytes: 0, pods: 0 }],
    ]);
  });

  it('is idempotent when the same pod is added twice', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.addPod(pod('p1', 'a'));
    cache.addPod(pod('p1', 'a'));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
  });

  it('moves a pod whose node changed and follows changed requests', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.setNode(node('b'));
    cache.addPod(pod('p1', 'a'));
    cache.addPod(pod('p1', 'b', '2', '2Gi'));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    expect(requested(cache, 'b')).toEqual({ cpuMillis: 2000, memoryBytes: 2 * GI, pods: 1 });
    expect(cache.nodeOf('default/p1')).toBe('b');
  });

  it('removes pods by object or key, and ignores unknown ones', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.addPod(pod('p1', 'a'));
    cache.addPod(pod('p2', 'a'));
    cache.removePod(pod('p1', 'a'));
    cache.removePod('default/p2');
    cache.removePod('default/never-seen');
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('releases a pod once it finishes', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.addPod(pod('p1', 'a'));
    cache.addPod(pod('p1', 'a', '1', '1Gi', 'Succeeded'));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('ignores pending pods from the store', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.addPod(pod('p1', undefined));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('counts an assumed pod at once and confirms it when the binding is seen', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.assume('default/p1', 'a', { cpuMillis: 1000, memoryBytes: GI, pods: 1 });
    expect(cache.isAssumed('default/p1')).toBe(true);
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });

    // A status update of the still-unbound pod must not drop the assumption.
    cache.addPod(pod('p1', undefined));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });

    cache.addPod(pod('p1', 'a'));
    expect(cache.isAssumed('default/p1')).toBe(false);
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
    // Forgetting a confirmed pod (a late failure report) changes nothing.
    cache.forget('default/p1');
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
  });

  it('forgets an assumption whose binding failed', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.assume('default/p1', 'a', { cpuMillis: 1000, memoryBytes: GI, pods: 1 });
    cache.forget('default/p1');
    cache.forget('default/p1');
    expect(cache.nodeOf('default/p1')).toBeUndefined();
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('lets the store override an assumption that named another node', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.setNode(node('b'));
    cache.assume('default/p1', 'a', { cpuMillis: 1000, memoryBytes: GI, pods: 1 });
    cache.addPod(pod('p1', 'b'));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    expect(requested(cache, 'b')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
  });

  it('keeps pods seen before their node and across node removal', () => {
    const cache = new SchedulerCache();
    cache.addPod(pod('early', 'a'));
    expect(cache.nodes()).toEqual([]);
    cache.setNode(node('a'));
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
    cache.removeNode('a');
    expect(cache.node('a')).toBeUndefined();
    cache.setNode(node('a', '8'));
    expect(cache.node('a')?.allocatable.cpuMillis).toBe(8000);
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
  });

  it('updates a node in place, keeping its pods', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    cache.addPod(pod('p1', 'a'));
    cache.setNode({ ...node('a'), spec: { unschedulable: true } });
    const [info] = cache.nodes();
    expect(info?.unschedulable).toBe(true);
    expect(info?.requested.pods).toBe(1);
  });

  it('hands out copies that cannot change the cache', () => {
    const cache = new SchedulerCache();
    cache.setNode({
      ...node('a'),
      metadata: { name: 'a', labels: { zone: 'x' } },
      spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
    });
    const [first] = cache.nodes();
    if (!first) throw new Error('no node');
    first.requested.cpuMillis = 999;
    first.allocatable.cpuMillis = 1;
    first.labels['zone'] = 'y';
    first.taints[0]!.key = 'changed';
    first.taints.push({ key: 'extra', effect: 'NoExecute' });
    const again = cache.node('a');
    expect(again?.requested.cpuMillis).toBe(0);
    expect(again?.allocatable.cpuMillis).toBe(4000);
    expect(again?.labels).toEqual({ zone: 'x' });
    expect(again?.taints).toEqual([{ key: 'k', effect: 'NoSchedule' }]);
  });

  it('copies the requests passed to assume', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    const requests = { cpuMillis: 1000, memoryBytes: GI, pods: 1 };
    cache.assume('default/p1', 'a', requests);
    requests.cpuMillis = 0;
    expect(requested(cache, 'a')).toEqual({ cpuMillis: 1000, memoryBytes: GI, pods: 1 });
  });
});

describe('SchedulerCache.nodesView', () => {
  it('lists nodes sorted by name with current requests, following adds, removals and assumptions', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('b'));
    cache.setNode(node('a'));
    cache.addPod(pod('p1', 'b', '1', '1Gi'));
    expect(cache.nodesView().map((n) => [n.name, n.requested.cpuMillis])).toEqual([
      ['a', 0],
      ['b', 1000],
    ]);
    cache.assume('default/p2', 'a', { cpuMillis: 500, memoryBytes: GI, pods: 1 });
    cache.setNode(node('c'));
    cache.removeNode('b');
    expect(cache.nodesView().map((n) => [n.name, n.requested.cpuMillis, n.requested.pods])).toEqual([
      ['a', 500, 1],
      ['c', 0, 0],
    ]);
  });

  it('hands out the same views while only pods change, their requests following the cache', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    const view = cache.nodesView();
    cache.assume('default/p1', 'a', { cpuMillis: 250, memoryBytes: GI, pods: 1 });
    expect(cache.nodesView()).toBe(view);
    expect(view[0]?.requested).toEqual({ cpuMillis: 250, memoryBytes: GI, pods: 1 });
    cache.forget('default/p1');
    expect(view[0]?.requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    cache.setNode(node('b'));
    expect(cache.nodesView()).not.toBe(view);
  });

  it('logs each change to the nodes, a placement as "grew", and a confirmed assumption as no change', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    const start = cache.generation;
    cache.assume('default/p1', 'a', { cpuMillis: 1000, memoryBytes: GI, pods: 1 });
    // The store shows it bound as assumed: nothing changes for a decision.
    cache.addPod(pod('p1', 'a'));
    cache.addPod(pod('p2', 'a'));
    cache.removePod('default/p2');
    cache.setNode(node('a', '8'));
    expect(cache.changesSince(start)).toEqual([
      { node: 'a', grew: true },
      { node: 'a', grew: true },
      { node: 'a', grew: false },
      { node: 'a', grew: false },
    ]);
    expect(cache.changesSince(cache.generation)).toEqual([]);
    expect(cache.changesSince(cache.generation + 1)).toBeUndefined();
  });

  it('keeps a bounded log: a generation from long ago reads as unknown', () => {
    const cache = new SchedulerCache();
    cache.setNode(node('a'));
    const start = cache.generation;
    for (let i = 0; i < 10_000; i++) cache.assume(`default/p${i}`, 'a', { cpuMillis: 0, memoryBytes: 0, pods: 1 });
    expect(cache.changesSince(start)).toBeUndefined();
    expect(cache.changesSince(cache.generation - 10)).toHaveLength(10);
  });
});
