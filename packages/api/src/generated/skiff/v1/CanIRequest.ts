// Original file: proto/skiff/v1/api.proto


export interface CanIRequest {
  'verb'?: (string);
  'resource'?: (string);
  'namespace'?: (string);
  'name'?: (string);
  'as_user'?: (string);
  'as_groups'?: (string)[];
}

export interface CanIRequest__Output {
  'verb': (string);
  'resource': (string);
  'namespace': (string);
  'name': (string);
  'as_user': (string);
  'as_groups': (string)[];
}
