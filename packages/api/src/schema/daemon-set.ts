import { intOrPercent, nonNegativeInteger } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { labelSelectorSchema } from './label-selector.js';
import { podTemplateSpecSchema } from './pod-spec.js';
import { resourceSchema } from './resource.js';

// As Kubernetes: RollingUpdate by default; rollingUpdate's own defaults
// (maxUnavailable 1, maxSurge 0) only for that type, so they are filled in code.
const updateStrategySchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: { type: 'RollingUpdate' },
  properties: {
    type: { type: 'string', enum: ['RollingUpdate', 'OnDelete'], default: 'RollingUpdate' },
    rollingUpdate: {
      type: 'object',
      additionalProperties: false,
      properties: { maxUnavailable: intOrPercent, maxSurge: intOrPercent },
    },
  },
};

export const daemonSetSchema: JsonSchema = resourceSchema({
  kind: 'DaemonSet',
  nameFormat: 'dns1123-subdomain',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['selector', 'template'],
      properties: {
        selector: labelSelectorSchema,
        template: podTemplateSpecSchema,
        updateStrategy: updateStrategySchema,
        minReadySeconds: nonNegativeInteger,
        revisionHistoryLimit: { ...nonNegativeInteger, default: 10 },
      },
    },
  },
  required: ['spec'],
});
