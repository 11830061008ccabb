// Original file: proto/skiff/v1/node.proto


export interface RenewCertificateResponse {
  'certificate_pem'?: (string);
}

export interface RenewCertificateResponse__Output {
  'certificate_pem': (string);
}
