// Original file: proto/skiff/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface ResourceUsageSample {
  'timestamp'?: (string);
  'window_ms'?: (number);
  'cpu_nano_cores'?: (number | string | Long);
  'memory_working_set_bytes'?: (number | string | Long);
}

export interface ResourceUsageSample__Output {
  'timestamp': (string);
  'window_ms': (number);
  'cpu_nano_cores': (string);
  'memory_working_set_bytes': (string);
}
