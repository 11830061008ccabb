// RoleBinding and ClusterRoleBinding: a roleRef and the subjects it is
// granted to. Rules that depend on a subject's kind, or on the binding's
// scope, are checked in code.
import { RBAC_API_GROUP } from '../kinds.js';
import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';

function roleRefSchema(kinds: readonly string[], kindMessage: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'name'],
    properties: {
      apiGroup: { type: 'string', enum: [RBAC_API_GROUP], default: RBAC_API_GROUP },
      kind: { type: 'string', enum: kinds, 'x-message': kindMessage },
      name: { type: 'string', format: 'path-segment' },
    },
  };
}

export const subjectSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name'],
  properties: {
    kind: { type: 'string', enum: ['User', 'Group', 'ServiceAccount'] },
    name: { type: 'string', minLength: 1 },
    namespace: { type: 'string', format: 'dns1123-label' },
    apiGroup: { type: 'string' },
  },
};

const subjectsSchema: JsonSchema = { type: 'array', items: subjectSchema };

export const roleBindingSchema: JsonSchema = resourceSchema({
  kind: 'RoleBinding',
  nameFormat: 'path-segment',
  fields: {
    roleRef: roleRefSchema(['Role', 'ClusterRole'], 'must be Role or ClusterRole'),
    subjects: subjectsSchema,
  },
  required: ['roleRef'],
});

export const clusterRoleBindingSchema: JsonSchema = resourceSchema({
  kind: 'ClusterRoleBinding',
  nameFormat: 'path-segment',
  fields: {
    roleRef: roleRefSchema(['ClusterRole'], 'must be ClusterRole: a ClusterRoleBinding grants a ClusterRole (grant a Role with a RoleBinding)'),
    subjects: subjectsSchema,
  },
  required: ['roleRef'],
});
