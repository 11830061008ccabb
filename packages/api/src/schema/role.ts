// Role and ClusterRole: lists of policy rules. The rules between a rule's
// fields (resources or non-resource URLs, never both) are checked in code.
import type { JsonSchema } from './json-schema.js';
import { labelSelectorSchema } from './label-selector.js';
import { resourceSchema } from './resource.js';

const nonEmptyStrings: JsonSchema = { type: 'array', items: { type: 'string', minLength: 1 } };

export const policyRuleSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['verbs'],
  properties: {
    verbs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    // "" is the core group, so API group names may be empty.
    apiGroups: { type: 'array', items: { type: 'string' } },
    resources: nonEmptyStrings,
    resourceNames: nonEmptyStrings,
    nonResourceURLs: nonEmptyStrings,
  },
};

const rulesSchema: JsonSchema = { type: 'array', items: policyRuleSchema };

export const roleSchema: JsonSchema = resourceSchema({
  kind: 'Role',
  nameFormat: 'path-segment',
  fields: { rules: rulesSchema },
});

export const clusterRoleSchema: JsonSchema = resourceSchema({
  kind: 'ClusterRole',
  nameFormat: 'path-segment',
  fields: {
    rules: rulesSchema,
    aggregationRule: {
      type: 'object',
      additionalProperties: false,
      required: ['clusterRoleSelectors'],
      properties: { clusterRoleSelectors: { type: 'array', minItems: 1, items: labelSelectorSchema } },
    },
  },
});
