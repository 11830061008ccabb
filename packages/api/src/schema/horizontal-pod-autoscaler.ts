// autoscaling/v2 HorizontalPodAutoscaler. Rules between fields (minReplicas ≤
// maxReplicas, the value a target type needs) are in autoscaling-rules.ts;
// the defaults that depend on other fields (the 80 % CPU metric, behavior) in
// manifest-defaults.ts.
import { MAX_INT32, positiveInteger, quantity, stringField } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { resourceSchema } from './resource.js';

const scaleTargetRefSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name'],
  properties: {
    apiVersion: stringField,
    kind: {
      type: 'string',
      enum: ['Deployment', 'ReplicaSet'],
      'x-message': 'must be Deployment or ReplicaSet (the kinds with a scale subresource in Skiff)',
    },
    name: { type: 'string', format: 'dns1123-subdomain' },
  },
};

const metricTargetSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      type: 'string',
      enum: ['Utilization', 'AverageValue'],
      'x-message': 'must be Utilization (averageUtilization, percent of requests) or AverageValue (averageValue, a quantity per pod) for a Resource metric',
    },
    averageUtilization: positiveInteger,
    averageValue: quantity,
  },
};

const metricSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      type: 'string',
      enum: ['Resource'],
      'x-message': 'must be Resource: Skiff autoscales on cpu and memory only (Pods, Object, External and ContainerResource metrics are not supported)',
    },
    resource: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'target'],
      properties: {
        name: { type: 'string', enum: ['cpu', 'memory'], 'x-message': 'must be cpu or memory' },
        target: metricTargetSchema,
      },
    },
  },
};

const scalingPolicySchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'value', 'periodSeconds'],
  properties: {
    type: { type: 'string', enum: ['Pods', 'Percent'] },
    value: positiveInteger,
    // Kubernetes' bounds: a period of at most 30 minutes, a window of at most an hour.
    periodSeconds: { type: 'integer', minimum: 1, maximum: 1800 },
  },
};

const scalingRulesSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    stabilizationWindowSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
    selectPolicy: { type: 'string', enum: ['Max', 'Min', 'Disabled'] },
    policies: { type: 'array', minItems: 1, items: scalingPolicySchema },
  },
};

export const horizontalPodAutoscalerSchema: JsonSchema = resourceSchema({
  kind: 'HorizontalPodAutoscaler',
  nameFormat: 'dns1123-subdomain',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['scaleTargetRef', 'maxReplicas'],
      properties: {
        scaleTargetRef: scaleTargetRefSchema,
        minReplicas: { type: 'integer', minimum: 1, maximum: MAX_INT32, default: 1 },
        maxReplicas: positiveInteger,
        metrics: { type: 'array', items: metricSchema },
        behavior: {
          type: 'object',
          additionalProperties: false,
          properties: { scaleUp: scalingRulesSchema, scaleDown: scalingRulesSchema },
        },
      },
    },
  },
  required: ['spec'],
});
