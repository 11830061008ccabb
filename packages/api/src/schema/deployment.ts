import { booleanField, intOrPercent, nonNegativeInteger } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { labelSelectorSchema } from './label-selector.js';
import { podTemplateSpecSchema } from './pod-spec.js';
import { resourceSchema } from './resource.js';

/**
 * A workload's update strategy: `type` (RollingUpdate by default, as
 * Kubernetes) and rollingUpdate's numbers or percentages. rollingUpdate's own
 * defaults depend on the type (a Recreate deployment must not get one), so
 * they are filled in code, not here. Shared with DaemonSet's updateStrategy.
 */
export function rollingStrategySchema(types: readonly ['RollingUpdate', ...string[]]): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    default: { type: 'RollingUpdate' },
    properties: {
      type: { type: 'string', enum: [...types], default: 'RollingUpdate' },
      rollingUpdate: {
        type: 'object',
        additionalProperties: false,
        properties: { maxSurge: intOrPercent, maxUnavailable: intOrPercent },
      },
    },
  };
}

export const deploymentSchema: JsonSchema = resourceSchema({
  kind: 'Deployment',
  nameFormat: 'dns1123-subdomain',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['selector', 'template'],
      properties: {
        replicas: { ...nonNegativeInteger, default: 1 },
        selector: labelSelectorSchema,
        template: podTemplateSpecSchema,
        // retainKeys: switching to Recreate with `$retainKeys` drops rollingUpdate (kubectl sends it).
        strategy: { ...rollingStrategySchema(['RollingUpdate', 'Recreate']), 'x-kubernetes-patch-strategy': 'retainKeys' },
        minReadySeconds: nonNegativeInteger,
        revisionHistoryLimit: { ...nonNegativeInteger, default: 10 },
        paused: booleanField,
        progressDeadlineSeconds: { ...nonNegativeInteger, default: 600 },
      },
    },
  },
  required: ['spec'],
});

export const replicaSetSchema: JsonSchema = resourceSchema({
  kind: 'ReplicaSet',
  nameFormat: 'dns1123-subdomain',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['selector', 'template'],
      properties: {
        replicas: { ...nonNegativeInteger, default: 1 },
        selector: labelSelectorSchema,
        template: podTemplateSpecSchema,
        minReadySeconds: nonNegativeInteger,
      },
    },
  },
  required: ['spec'],
});
