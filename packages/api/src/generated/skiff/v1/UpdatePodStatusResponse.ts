// Original file: proto/skiff/v1/node.proto


export interface UpdatePodStatusResponse {
  'pod_json'?: (string);
}

export interface UpdatePodStatusResponse__Output {
  'pod_json': (string);
}
