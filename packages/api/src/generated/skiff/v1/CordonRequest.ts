// Original file: proto/skiff/v1/api.proto


export interface CordonRequest {
  'node_name'?: (string);
  'unschedulable'?: (boolean);
}

export interface CordonRequest__Output {
  'node_name': (string);
  'unschedulable': (boolean);
}
