// Original file: proto/skiff/v1/node.proto


export interface HeartbeatRequest {
  'node_name'?: (string);
}

export interface HeartbeatRequest__Output {
  'node_name': (string);
}
