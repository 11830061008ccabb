// Original file: proto/skiff/v1/api.proto


export interface DeleteResponse {
  'object_json'?: (string);
}

export interface DeleteResponse__Output {
  'object_json': (string);
}
