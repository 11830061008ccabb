// Original file: proto/skiff/v1/api.proto


export interface GetResponse {
  'object_json'?: (string);
}

export interface GetResponse__Output {
  'object_json': (string);
}
