// securityContext of a pod and of a container. The container's fields win
// over the pod's where both exist (runAsUser, runAsGroup, runAsNonRoot,
// seccompProfile); fsGroup and supplementalGroups are the pod's only, and
// capabilities, privileged, readOnlyRootFilesystem and
// allowPrivilegeEscalation the container's only, as in Kubernetes.
import { booleanField } from './fields.js';
import type { JsonSchema } from './json-schema.js';

/** A user or group id: Kubernetes' int64, limited here to what Linux ids hold without the reserved -1. */
const linuxId: JsonSchema = { type: 'integer', minimum: 0, maximum: 4_294_967_294, 'x-message': 'must be a user or group id (an integer from 0 to 4294967294)' };

const capabilityName: JsonSchema = {
  type: 'string',
  pattern: '^[A-Za-z_]+$',
  'x-message': 'must be a capability name like NET_ADMIN or CAP_NET_ADMIN, or ALL',
};

export const seccompProfileSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      type: 'string',
      enum: ['RuntimeDefault', 'Unconfined'],
      'x-message': 'must be RuntimeDefault or Unconfined (Localhost profiles are not supported)',
    },
  },
};

/** The fields both levels have; the container's win. */
const sharedFields: Readonly<Record<string, JsonSchema>> = {
  runAsUser: linuxId,
  runAsGroup: linuxId,
  runAsNonRoot: booleanField,
  seccompProfile: seccompProfileSchema,
};

export const podSecurityContextSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...sharedFields,
    fsGroup: linuxId,
    supplementalGroups: { type: 'array', items: linuxId, maxItems: 32 },
  },
};

export const securityContextSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...sharedFields,
    readOnlyRootFilesystem: booleanField,
    allowPrivilegeEscalation: booleanField,
    privileged: booleanField,
    capabilities: {
      type: 'object',
      additionalProperties: false,
      properties: {
        add: { type: 'array', items: capabilityName },
        drop: { type: 'array', items: capabilityName },
      },
    },
  },
};
