import type { AgentClient, Node, ResourceMetricsMessageOutput } from '@skiff/api';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ResourceMetricsScraper } from './resource-metrics-scraper.js';
import { ResourceMetricsStore } from './resource-metrics-store.js';

const usage = (cpuNanoCores: number, memoryWorkingSetBytes: number) => ({ timestamp: '2026-12-02T03:00:05.000Z', windowMs: 5012, cpuNanoCores, memoryWorkingSetBytes });
const pod = (namespace: string, name: string, labels: Record<string, string>, timestamp = '2026-12-02T03:00:05.000Z') => ({
  namespace,
  name,
  labels,
  timestamp,
  windowMs: 5012,
  containers: [{ name: 'app', usage: usage(200_000_000, 10 * 1024 * 1024) }],
});

describe('ResourceMetricsStore', () => {
  it('keeps each node’s latest scrape as metrics.k8s.io objects, selected by namespace and labels', () => {
    const store = new ResourceMetricsStore();
    store.replaceNode('node-a', { node: usage(1_500_000_000, 2 * 1024 ** 3), labels: { pool: 'a' }, pods: [pod('shop', 'web-1', { app: 'web' }), pod('shop', 'db', { app: 'db' })] }, 1000);
    store.replaceNode('node-b', { pods: [pod('shop', 'web-2', { app: 'web' }), pod('kube', 'web-3', { app: 'web' })] }, 1000);

    expect(store.podMetrics('shop', 'web-1')).toEqual({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, creationTimestamp: new Date(1000).toISOString() },
      timestamp: '2026-12-02T03:00:05.000Z',
      window: '5.012s',
      containers: [{ name: 'app', usage: { cpu: '200000000n', memory: '10Mi' } }],
    });
    expect(store.listPodMetrics('shop', { matchLabels: { app: 'web' } }).map((p) => p.metadata.name)).toEqual(['web-1', 'web-2']);
    expect(store.listPodMetrics('', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }).map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      'kube/web-3',
      'shop/web-1',
      'shop/web-2',
    ]);
    expect(store.listPodMetrics('shop', {}).length).toBe(3);
    expect(store.listNodeMetrics()).toEqual([
      {
        apiVersion: 'metrics.k8s.io/v1beta1',
        kind: 'NodeMetrics',
        metadata: { name: 'node-a', labels: { pool: 'a' }, creationTimestamp: new Date(1000).toISOString() },
        timestamp: '2026-12-02T03:00:05.000Z',
        window: '5.012s',
        usage: { cpu: '1500000000n', memory: '2Gi' },
      },
    ]);

    // A new scrape replaces the node's pods: a pod gone from it is gone from the store.
    store.replaceNode('node-b', { pods: [pod('shop', 'web-2', { app: 'web' })] }, 2000);
    expect(store.podMetrics('kube', 'web-3')).toBeUndefined();
    expect(store.prune(1500)).toEqual(['node-a']);
    expect(store.nodeMetrics('node-a')).toBeUndefined();
    expect(store.listPodMetrics('', {}).map((p) => p.metadata.name)).toEqual(['web-2']);
  });

  it('the newest sample wins when a pod shows on two nodes (re-created elsewhere)', () => {
    const store = new ResourceMetricsStore();
    store.replaceNode('a', { pods: [pod('shop', 'web', {}, '2026-12-02T03:00:05.000Z')] }, 1);
    store.replaceNode('b', { pods: [pod('shop', 'web', {}, '2026-12-02T03:00:09.000Z')] }, 1);
    expect(store.podMetrics('shop', 'web')?.timestamp).toBe('2026-12-02T03:00:09.000Z');
    expect(store.listPodMetrics('shop', {}).map((p) => p.timestamp)).toEqual(['2026-12-02T03:00:09.000Z']);
  });
});

describe('ResourceMetricsScraper', () => {
  const readyNode = (name: string, ready: boolean): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], daemonEndpoints: { agentEndpoint: { address: `127.0.0.1:${name === 'a' ? 1 : 2}` } } },
  });
  const answer: ResourceMetricsMessageOutput = {
    node: { timestamp: '2026-12-02T03:00:05.000Z', window_ms: 5000, cpu_nano_cores: '250000000', memory_working_set_bytes: '1048576' },
    pods: [{ namespace: 'shop', name: 'web', uid: 'u', labels: { app: 'web' }, timestamp: '2026-12-02T03:00:05.000Z', window_ms: 5000, containers: [{ name: 'app', usage: { timestamp: '2026-12-02T03:00:05.000Z', window_ms: 5000, cpu_nano_cores: '5', memory_working_set_bytes: '7' } }] }],
  };

  it('asks only Ready nodes’ agents, and forgets nodes that stop being Ready or keep failing', async () => {
    const store = new ResourceMetricsStore();
    let nodes = [readyNode('a', true), readyNode('b', false)];
    const asked: string[] = [];
    let failing = false;
    const client = (name: string) =>
      ({
        GetResourceMetrics: (_request: unknown, _options: unknown, callback: (error: Error | null, response?: ResourceMetricsMessageOutput) => void) => {
          asked.push(name);
          if (failing) callback(Object.assign(new Error('unavailable'), { code: 14 }));
          else callback(null, answer);
        },
      }) as unknown as AgentClient;
    let now = 10_000;
    const scraper = new ResourceMetricsScraper({ store, nodes: () => nodes, agentOf: (node) => client(node.metadata.name), resolutionMs: 1000, now: () => now, log: pino({ level: 'silent' }) });
    await scraper.scrape();
    expect(asked).toEqual(['a']);
    expect(store.nodeMetrics('a')?.usage).toEqual({ cpu: '250000000n', memory: '1Mi' });
    expect(store.podMetrics('shop', 'web')?.containers).toEqual([{ name: 'app', usage: { cpu: '5n', memory: '7' } }]);

    failing = true;
    now += 2_000;
    await scraper.scrape();
    expect(store.nodeMetrics('a')).toBeDefined(); // one failed round keeps the last sample
    now += 2_000;
    await scraper.scrape();
    expect(store.nodeMetrics('a')).toBeUndefined(); // older than three resolutions: gone

    failing = false;
    await scraper.scrape();
    expect(store.nodeMetrics('a')).toBeDefined();
    nodes = [readyNode('a', false)];
    await scraper.scrape();
    expect(store.listNodeMetrics()).toEqual([]);
  });
});
