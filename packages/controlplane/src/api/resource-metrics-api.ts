// The metrics.k8s.io/v1beta1 reads (kubectl top's PodMetrics and NodeMetrics)
// over the in-memory ResourceMetricsStore: not stored kinds, so they bypass the
// object store; Get and List only. Authorized as Kubernetes does: apiGroup
// metrics.k8s.io, resources pods and nodes, verbs get and list.
import { NotFoundError, type NodeMetrics, type PodMetrics } from '@skiff/api';
import type { RequestAttributes } from '../auth/index.js';
import type { ResourceMetricsStore } from '../metrics/resource-metrics-store.js';
import { selectorOf } from './api-service.js';
import { DEFAULT_NAMESPACE } from './kind-resolution.js';

export const METRICS_API_GROUP = 'metrics.k8s.io';

export type MetricsKind = 'PodMetrics' | 'NodeMetrics';

const SPELLINGS: ReadonlyMap<string, MetricsKind> = new Map([
  ['podmetrics', 'PodMetrics'],
  ['podmetric', 'PodMetrics'],
  ['pods.metrics.k8s.io', 'PodMetrics'],
  ['nodemetrics', 'NodeMetrics'],
  ['nodemetric', 'NodeMetrics'],
  ['nodes.metrics.k8s.io', 'NodeMetrics'],
]);

/** Whether a kind spelling names a metrics kind ("PodMetrics", "nodes.metrics.k8s.io"…). */
export function metricsKindOf(spelling: string): MetricsKind | undefined {
  return SPELLINGS.get(spelling.toLowerCase());
}

/** What a metrics read is in the authorizer's terms. */
export function metricsAttributes(kind: MetricsKind, verb: 'get' | 'list', namespace: string | undefined, name?: string): RequestAttributes {
  return {
    verb,
    apiGroup: METRICS_API_GROUP,
    resource: kind === 'PodMetrics' ? 'pods' : 'nodes',
    ...(kind === 'PodMetrics' && namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

export class ResourceMetricsApi {
  constructor(private readonly store: ResourceMetricsStore) {}

  get(kind: MetricsKind, namespace: string | undefined, name: string): PodMetrics | NodeMetrics {
    if (kind === 'NodeMetrics') {
      const found = this.store.nodeMetrics(name);
      if (!found) throw new NotFoundError(`nodemetrics.metrics.k8s.io "${name}" not found: metrics not available yet`);
      return found;
    }
    const ns = namespace || DEFAULT_NAMESPACE;
    const found = this.store.podMetrics(ns, name);
    if (!found) throw new NotFoundError(`podmetrics.metrics.k8s.io "${name}" not found in namespace ${ns}: metrics not available yet`);
    return found;
  }

  /** `namespace` undefined: every namespace (NodeMetrics ignore it). */
  list(kind: MetricsKind, namespace: string | undefined, labelSelector: string | undefined): (PodMetrics | NodeMetrics)[] {
    const selector = selectorOf(labelSelector);
    if (kind === 'NodeMetrics') return this.store.listNodeMetrics().filter((node) => selector.matches(node.metadata.labels));
    return this.store.selectPodMetrics(namespace, selector);
  }
}
