// Original file: proto/skiff/v1/api.proto


export interface ObjectRef {
  'kind'?: (string);
  'namespace'?: (string);
  'name'?: (string);
}

export interface ObjectRef__Output {
  'kind': (string);
  'namespace': (string);
  'name': (string);
}
