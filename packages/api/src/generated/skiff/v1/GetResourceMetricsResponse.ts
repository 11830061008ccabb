// Original file: proto/skiff/v1/node.proto

import type { ResourceUsageSample as _skiff_v1_ResourceUsageSample, ResourceUsageSample__Output as _skiff_v1_ResourceUsageSample__Output } from '../../skiff/v1/ResourceUsageSample.js';
import type { PodResourceSample as _skiff_v1_PodResourceSample, PodResourceSample__Output as _skiff_v1_PodResourceSample__Output } from '../../skiff/v1/PodResourceSample.js';

export interface GetResourceMetricsResponse {
  'node'?: (_skiff_v1_ResourceUsageSample | null);
  'pods'?: (_skiff_v1_PodResourceSample)[];
}

export interface GetResourceMetricsResponse__Output {
  'node': (_skiff_v1_ResourceUsageSample__Output | null);
  'pods': (_skiff_v1_PodResourceSample__Output)[];
}
