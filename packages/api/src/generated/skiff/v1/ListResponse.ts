// Original file: proto/skiff/v1/api.proto


export interface ListResponse {
  'items_json'?: (string)[];
  'resource_version'?: (string);
  'continue_token'?: (string);
}

export interface ListResponse__Output {
  'items_json': (string)[];
  'resource_version': (string);
  'continue_token': (string);
}
