// Original file: proto/skiff/v1/node.proto


export interface UpdatePodStatusRequest {
  'node_name'?: (string);
  'namespace'?: (string);
  'name'?: (string);
  'uid'?: (string);
  'status_json'?: (string);
  'remove_terminated'?: (boolean);
}

export interface UpdatePodStatusRequest__Output {
  'node_name': (string);
  'namespace': (string);
  'name': (string);
  'uid': (string);
  'status_json': (string);
  'remove_terminated': (boolean);
}
