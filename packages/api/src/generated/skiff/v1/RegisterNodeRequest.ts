// Original file: proto/skiff/v1/node.proto


export interface RegisterNodeRequest {
  'node_json'?: (string);
}

export interface RegisterNodeRequest__Output {
  'node_json': (string);
}
