// Original file: proto/skiff/v1/api.proto


export interface ListRequest {
  'kind'?: (string);
  'namespace'?: (string);
  'all_namespaces'?: (boolean);
  'label_selector'?: (string);
  'resource_version'?: (string);
  'limit'?: (number);
  'continue_token'?: (string);
}

export interface ListRequest__Output {
  'kind': (string);
  'namespace': (string);
  'all_namespaces': (boolean);
  'label_selector': (string);
  'resource_version': (string);
  'limit': (number);
  'continue_token': (string);
}
