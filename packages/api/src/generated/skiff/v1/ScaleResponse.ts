// Original file: proto/skiff/v1/api.proto


export interface ScaleResponse {
  'object_json'?: (string);
}

export interface ScaleResponse__Output {
  'object_json': (string);
}
