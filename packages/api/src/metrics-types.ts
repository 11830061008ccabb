// Resource metrics in the shape of Kubernetes' metrics.k8s.io/v1beta1 API
// (what metrics-server serves and `kubectl top` reads). Usage values are
// quantity strings: CPU in cores ("250m", "1"), memory working set in bytes
// ("12Mi", "104857600"). They are samples, not stored objects: the control
// plane keeps the latest per node and pod in memory.
import type { ObjectMeta } from './types.js';

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

export interface ResourceUsage {
  cpu: string;
  memory: string;
}

export interface ContainerMetrics {
  name: string;
  usage: ResourceUsage;
}

export interface PodMetrics {
  apiVersion: typeof METRICS_API_VERSION;
  kind: 'PodMetrics';
  metadata: ObjectMeta;
  /** RFC 3339 time of the sample's end. */
  timestamp: string;
  /** Duration the CPU rate was measured over, e.g. "10s". */
  window: string;
  containers: ContainerMetrics[];
}

export interface NodeMetrics {
  apiVersion: typeof METRICS_API_VERSION;
  kind: 'NodeMetrics';
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}
