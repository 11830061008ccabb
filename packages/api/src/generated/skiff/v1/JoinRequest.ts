// Original file: proto/skiff/v1/node.proto


export interface JoinRequest {
  'node_name'?: (string);
  'csr_pem'?: (string);
  'addresses'?: (string)[];
}

export interface JoinRequest__Output {
  'node_name': (string);
  'csr_pem': (string);
  'addresses': (string)[];
}
