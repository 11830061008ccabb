import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';

// Namespace names become DNS labels of Service names, hence the stricter format.
export const namespaceSchema: JsonSchema = resourceSchema({
  kind: 'Namespace',
  nameFormat: 'dns1123-label',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: { finalizers: { type: 'array', items: { type: 'string' } } },
    },
  },
});
