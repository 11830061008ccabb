// Original file: proto/skiff/v1/node.proto

import type { ContainerResourceSample as _skiff_v1_ContainerResourceSample, ContainerResourceSample__Output as _skiff_v1_ContainerResourceSample__Output } from '../../skiff/v1/ContainerResourceSample.js';

export interface PodResourceSample {
  'namespace'?: (string);
  'name'?: (string);
  'uid'?: (string);
  'labels'?: ({[key: string]: string});
  'timestamp'?: (string);
  'window_ms'?: (number);
  'containers'?: (_skiff_v1_ContainerResourceSample)[];
}

export interface PodResourceSample__Output {
  'namespace': (string);
  'name': (string);
  'uid': (string);
  'labels': ({[key: string]: string});
  'timestamp': (string);
  'window_ms': (number);
  'containers': (_skiff_v1_ContainerResourceSample__Output)[];
}
