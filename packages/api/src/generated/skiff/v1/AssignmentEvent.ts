// Original file: proto/skiff/v1/node.proto


export interface AssignmentEvent {
  'type'?: (string);
  'pod_json'?: (string);
  'resource_version'?: (string);
}

export interface AssignmentEvent__Output {
  'type': (string);
  'pod_json': (string);
  'resource_version': (string);
}
