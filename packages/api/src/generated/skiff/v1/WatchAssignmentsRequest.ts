// Original file: proto/skiff/v1/node.proto


export interface WatchAssignmentsRequest {
  'node_name'?: (string);
  'resource_version'?: (string);
}

export interface WatchAssignmentsRequest__Output {
  'node_name': (string);
  'resource_version': (string);
}
