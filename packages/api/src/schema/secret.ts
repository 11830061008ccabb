import { binaryDataSchema, configDataSchema } from './config-map.js';
import { booleanField } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';

// stringData is write-only convenience: folded into data (base64) in code.
export const secretSchema: JsonSchema = resourceSchema({
  kind: 'Secret',
  nameFormat: 'dns1123-subdomain',
  fields: {
    type: { type: 'string', minLength: 1, default: 'Opaque' },
    data: binaryDataSchema,
    stringData: configDataSchema,
    immutable: booleanField,
  },
});
