// Original file: proto/skiff/v1/node.proto


export interface JoinResponse {
  'certificate_pem'?: (string);
  'ca_pem'?: (string);
}

export interface JoinResponse__Output {
  'certificate_pem': (string);
  'ca_pem': (string);
}
