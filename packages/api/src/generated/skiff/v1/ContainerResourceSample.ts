// Original file: proto/skiff/v1/node.proto

import type { ResourceUsageSample as _skiff_v1_ResourceUsageSample, ResourceUsageSample__Output as _skiff_v1_ResourceUsageSample__Output } from '../../skiff/v1/ResourceUsageSample.js';

export interface ContainerResourceSample {
  'name'?: (string);
  'usage'?: (_skiff_v1_ResourceUsageSample | null);
}

export interface ContainerResourceSample__Output {
  'name': (string);
  'usage': (_skiff_v1_ResourceUsageSample__Output | null);
}
