// Original file: proto/skiff/v1/node.proto


export interface RegisterNodeResponse {
  'node_json'?: (string);
  'heartbeat_interval_ms'?: (number);
  'lease_duration_ms'?: (number);
  'pod_network'?: (string);
}

export interface RegisterNodeResponse__Output {
  'node_json': (string);
  'heartbeat_interval_ms': (number);
  'lease_duration_ms': (number);
  'pod_network': (string);
}
