import type { JsonSchema } from './json-schema.js';
import { podSpecSchema } from './pod-spec.js';
import { resourceSchema } from './resource.js';

export const podSchema: JsonSchema = resourceSchema({
  kind: 'Pod',
  nameFormat: 'dns1123-subdomain',
  fields: { spec: podSpecSchema },
  required: ['spec'],
});
