// Original file: proto/skiff/v1/api.proto


export interface ApplyResponse {
  'outcome'?: (string);
  'object_json'?: (string);
  'warnings'?: (string)[];
}

export interface ApplyResponse__Output {
  'outcome': (string);
  'object_json': (string);
  'warnings': (string)[];
}
