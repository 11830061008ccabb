// Original file: proto/skiff/v1/api.proto


export interface CreateTokenResponse {
  'token'?: (string);
  'expiration_timestamp'?: (string);
}

export interface CreateTokenResponse__Output {
  'token': (string);
  'expiration_timestamp': (string);
}
