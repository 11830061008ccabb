// Original file: proto/skiff/v1/api.proto


export interface ApplyRequest {
  'manifest_json'?: (string);
  'strict'?: (boolean);
  'dry_run'?: (boolean);
}

export interface ApplyRequest__Output {
  'manifest_json': (string);
  'strict': (boolean);
  'dry_run': (boolean);
}
