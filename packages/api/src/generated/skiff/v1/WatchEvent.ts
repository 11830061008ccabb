// Original file: proto/skiff/v1/api.proto


export interface WatchEvent {
  'type'?: (string);
  'object_json'?: (string);
  'resource_version'?: (string);
}

export interface WatchEvent__Output {
  'type': (string);
  'object_json': (string);
  'resource_version': (string);
}
