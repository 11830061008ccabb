// Original file: proto/skiff/v1/api.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateTokenRequest {
  'namespace'?: (string);
  'service_account'?: (string);
  'expiration_seconds'?: (number | string | Long);
  'audiences'?: (string)[];
}

export interface CreateTokenRequest__Output {
  'namespace': (string);
  'service_account': (string);
  'expiration_seconds': (string);
  'audiences': (string)[];
}
