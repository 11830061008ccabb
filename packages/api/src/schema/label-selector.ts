// LabelSelector (Deployment spec.selector). The rules between operator and
// values are checked in code, where the message can name the operator.
import { labelsMap } from './fields.js';
import type { JsonSchema } from './json-schema.js';

export const labelSelectorRequirementSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'operator'],
  properties: {
    key: { type: 'string', format: 'label-key' },
    operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
    values: { type: 'array', items: { type: 'string', format: 'label-value' } },
  },
};

export const labelSelectorSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: labelsMap,
    matchExpressions: { type: 'array', items: labelSelectorRequirementSchema },
  },
};
