import { rollingStrategySchema } from './deployment.js';
import { nonNegativeInteger } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { labelSelectorSchema } from './label-selector.js';
import { podTemplateSpecSchema } from './pod-spec.js';
import { resourceSchema } from './resource.js';

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
        updateStrategy: rollingStrategySchema(['RollingUpdate', 'OnDelete']),
        minReadySeconds: nonNegativeInteger,
        revisionHistoryLimit: { ...nonNegativeInteger, default: 10 },
      },
    },
  },
  required: ['spec'],
});
