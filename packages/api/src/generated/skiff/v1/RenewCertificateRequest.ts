// Original file: proto/skiff/v1/node.proto


export interface RenewCertificateRequest {
  'csr_pem'?: (string);
  'addresses'?: (string)[];
}

export interface RenewCertificateRequest__Output {
  'csr_pem': (string);
  'addresses': (string)[];
}
