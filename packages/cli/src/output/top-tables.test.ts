import { METRICS_API_VERSION, type Node, type NodeMetrics, type PodMetrics } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { renderTopNodes, renderTopPods } from './top-tables.js';

const node = (name: string, cpu: string, memory: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: {},
  status: { allocatable: { cpu, memory } },
});
const nodeMetrics = (name: string, cpu: string, memory: string): NodeMetrics => ({
  apiVersion: METRICS_API_VERSION,
  kind: 'NodeMetrics',
  metadata: { name },
  timestamp: '2026-12-02T03:00:00.000Z',
  window: '5s',
  usage: { cpu, memory },
});
const podMetrics = (namespace: string, name: string, containers: [string, string, string][]): PodMetrics => ({
  apiVersion: METRICS_API_VERSION,
  kind: 'PodMetrics',
  metadata: { name, namespace },
  timestamp: '2026-12-02T03:00:00.000Z',
  window: '5s',
  containers: containers.map(([n, cpu, memory]) => ({ name: n, usage: { cpu, memory } })),
});

describe('ctl top tables', () => {
  it('nodes: millicores, MiB, integer percentages of allocatable, <unknown> without metrics', () => {
    const text = renderTopNodes([node('node-a', '2', '4Gi'), node('node-b', '1', '1Gi')], [nodeMetrics('node-a', '208123456n', '1352663040')]);
    expect(text).toBe(
      [
        'NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)',
        'node-a   209m         10%         1290Mi          31%',
        'node-b   <unknown>    <unknown>   <unknown>       <unknown>',
        '',
      ].join('\n'),
    );
  });

  it('pods: the containers summed, a NAMESPACE column with -A, POD NAME with --containers', () => {
    const pods = [podMetrics('shop', 'web', [['app', '199000001n', '10485760'], ['side', '1000000n', '1048575']]), podMetrics('kube', 'dns', [['dns', '0n', '0']])];
    expect(renderTopPods(pods, { withNamespace: false, containers: false })).toBe(['NAME   CPU(cores)   MEMORY(bytes)', 'web    201m         10Mi', 'dns    0m           0Mi', ''].join('\n'));
    expect(renderTopPods(pods, { withNamespace: true, containers: true })).toBe(
      [
        'NAMESPACE   POD   NAME   CPU(cores)   MEMORY(bytes)',
        'shop        web   app    200m         10Mi',
        'shop        web   side   1m           0Mi',
        'kube        dns   dns    0m           0Mi',
        '',
      ].join('\n'),
    );
  });
});
