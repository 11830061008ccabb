// Original file: proto/skiff/v1/node.proto


export interface HeartbeatResponse {
  'heartbeat_interval_ms'?: (number);
  'lease_duration_ms'?: (number);
}

export interface HeartbeatResponse__Output {
  'heartbeat_interval_ms': (number);
  'lease_duration_ms': (number);
}
