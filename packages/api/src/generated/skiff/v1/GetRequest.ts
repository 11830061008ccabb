// Original file: proto/skiff/v1/api.proto

import type { ObjectRef as _skiff_v1_ObjectRef, ObjectRef__Output as _skiff_v1_ObjectRef__Output } from '../../skiff/v1/ObjectRef.js';

export interface GetRequest {
  'ref'?: (_skiff_v1_ObjectRef | null);
}

export interface GetRequest__Output {
  'ref': (_skiff_v1_ObjectRef__Output | null);
}
