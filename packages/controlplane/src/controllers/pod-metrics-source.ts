// Where the HorizontalPodAutoscaler controller reads pod usage: the latest
// metrics.k8s.io PodMetrics sample of each pod a selector matches in a
// namespace. The control plane's in-memory ResourceMetricsStore (fed by the
// agents' sampling) has exactly this method; startControllers is given it.
import type { LabelSelector, PodMetrics } from '@skiff/api';

export interface PodMetricsSource {
  listPodMetrics(namespace: string, selector: LabelSelector): PodMetrics[];
}
