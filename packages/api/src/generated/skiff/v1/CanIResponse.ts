// Original file: proto/skiff/v1/api.proto


export interface CanIResponse {
  'allowed'?: (boolean);
  'reason'?: (string);
}

export interface CanIResponse__Output {
  'allowed': (boolean);
  'reason': (string);
}
