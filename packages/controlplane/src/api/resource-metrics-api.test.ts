import { NotFoundError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { ResourceMetricsStore } from '../metrics/resource-metrics-store.js';
import { metricsAttributes, metricsKindOf, ResourceMetricsApi } from './resource-metrics-api.js';

const usage = { timestamp: '2026-12-02T03:00:05.000Z', windowMs: 5000, cpuNanoCores: 1, memoryWorkingSetBytes: 1 };

describe('the metrics.k8s.io reads', () => {
  it('knows the kinds by kind, plural and group-qualified resource', () => {
    expect(['PodMetrics', 'podmetrics', 'pods.metrics.k8s.io'].map(metricsKindOf)).toEqual(['PodMetrics', 'PodMetrics', 'PodMetrics']);
    expect(['NodeMetrics', 'nodes.metrics.k8s.io'].map(metricsKindOf)).toEqual(['NodeMetrics', 'NodeMetrics']);
    expect(metricsKindOf('pods')).toBeUndefined();
  });

  it('is authorized as Kubernetes does: metrics.k8s.io pods (namespaced) and nodes', () => {
    expect(metricsAttributes('PodMetrics', 'list', 'shop')).toEqual({ verb: 'list', apiGroup: 'metrics.k8s.io', resource: 'pods', namespace: 'shop' });
    expect(metricsAttributes('PodMetrics', 'list', undefined)).toEqual({ verb: 'list', apiGroup: 'metrics.k8s.io', resource: 'pods' });
    expect(metricsAttributes('NodeMetrics', 'get', 'ignored', 'node-a')).toEqual({ verb: 'get', apiGroup: 'metrics.k8s.io', resource: 'nodes', name: 'node-a' });
  });

  it('answers from the store; a missing sample is NotFound saying why', () => {
    const store = new ResourceMetricsStore();
    store.replaceNode('node-a', { node: usage, labels: { pool: 'a' }, pods: [{ namespace: 'shop', name: 'web', labels: { app: 'web' }, timestamp: usage.timestamp, windowMs: 5000, containers: [{ name: 'app', usage }] }] }, 0);
    const api = new ResourceMetricsApi(store);
    expect(api.get('PodMetrics', 'shop', 'web').metadata.name).toBe('web');
    expect(api.list('PodMetrics', undefined, 'app=web').map((p) => p.metadata.name)).toEqual(['web']);
    expect(api.list('PodMetrics', 'default', '')).toEqual([]);
    expect(api.list('NodeMetrics', undefined, 'pool=b')).toEqual([]);
    expect(() => api.get('PodMetrics', 'shop', 'db')).toThrow(new NotFoundError('podmetrics.metrics.k8s.io "db" not found in namespace shop: metrics not available yet'));
    expect(() => api.get('NodeMetrics', undefined, 'node-b')).toThrow('nodemetrics.metrics.k8s.io "node-b" not found: metrics not available yet');
    expect(() => api.list('PodMetrics', 'shop', 'app in (')).toThrow(/./);
  });
});
