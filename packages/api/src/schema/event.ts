// v1 Event, as Skiff's components record it (the node agent through the Api;
// the control plane writes its own directly). Users never apply Events.
import { positiveInteger, stringField } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';
import { objectReferenceSchema } from './service-account.js';

export const eventSchema: JsonSchema = resourceSchema({
  kind: 'Event',
  nameFormat: 'dns1123-subdomain',
  required: ['involvedObject', 'reason', 'type'],
  fields: {
    involvedObject: { ...objectReferenceSchema, required: ['kind', 'name'] },
    reason: { type: 'string', minLength: 1, maxLength: 128 },
    message: { type: 'string', maxLength: 4096 },
    type: { type: 'string', enum: ['Normal', 'Warning'], 'x-message': 'must be Normal or Warning' },
    count: positiveInteger,
    firstTimestamp: stringField,
    lastTimestamp: stringField,
    source: {
      type: 'object',
      additionalProperties: false,
      properties: { component: stringField, host: stringField },
    },
    reportingComponent: stringField,
    reportingInstance: stringField,
  },
});
