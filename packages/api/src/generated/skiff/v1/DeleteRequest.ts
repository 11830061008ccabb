// Original file: proto/skiff/v1/api.proto

import type { ObjectRef as _skiff_v1_ObjectRef, ObjectRef__Output as _skiff_v1_ObjectRef__Output } from '../../skiff/v1/ObjectRef.js';

export interface DeleteRequest {
  'ref'?: (_skiff_v1_ObjectRef | null);
  'resource_version'?: (string);
  'grace_period_seconds'?: (number);
  'propagation_policy'?: (string);
  '_grace_period_seconds'?: "grace_period_seconds";
}

export interface DeleteRequest__Output {
  'ref': (_skiff_v1_ObjectRef__Output | null);
  'resource_version': (string);
  'grace_period_seconds'?: (number);
  'propagation_policy': (string);
  '_grace_period_seconds'?: "grace_period_seconds";
}
