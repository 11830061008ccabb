// Original file: proto/skiff/v1/api.proto


export interface CordonResponse {
  'node_json'?: (string);
}

export interface CordonResponse__Output {
  'node_json': (string);
}
