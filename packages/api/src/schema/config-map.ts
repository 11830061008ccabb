import { booleanField } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';

export const configDataSchema: JsonSchema = {
  type: 'object',
  propertyNames: { format: 'config-key' },
  additionalProperties: { type: 'string' },
};

export const binaryDataSchema: JsonSchema = {
  type: 'object',
  propertyNames: { format: 'config-key' },
  additionalProperties: { type: 'string', format: 'base64' },
};

export const configMapSchema: JsonSchema = resourceSchema({
  kind: 'ConfigMap',
  nameFormat: 'dns1123-subdomain',
  fields: {
    data: configDataSchema,
    binaryData: binaryDataSchema,
    immutable: booleanField,
  },
});
