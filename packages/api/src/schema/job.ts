// batch/v1 Job and CronJob. Rules between fields (restartPolicy, Indexed
// needs completions, the selector against the template, the cron schedule
// and its time zone) are in job-rules.ts.
import { annotationsMap, booleanField, labelsMap, MAX_INT32, nonNegativeInteger } from './fields.js';
import type { JsonSchema } from './json-schema.js';
import { labelSelectorSchema } from './label-selector.js';
import { podTemplateSpecSchema } from './pod-spec.js';
import { resourceSchema } from './resource.js';

/** Kubernetes' Job names become pod name prefixes and the job-name label value: at most 63 characters. */
const jobSpecSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['template'],
  properties: {
    // Defaulted in code (manifest-defaults.ts): completions' default depends on whether parallelism was given.
    parallelism: nonNegativeInteger,
    completions: nonNegativeInteger,
    backoffLimit: { ...nonNegativeInteger, default: 6 },
    activeDeadlineSeconds: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    ttlSecondsAfterFinished: { type: 'integer', minimum: 0, maximum: MAX_INT32 },
    completionMode: { type: 'string', enum: ['NonIndexed', 'Indexed'], default: 'NonIndexed' },
    suspend: booleanField,
    manualSelector: booleanField,
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
  },
};

export const jobSchema: JsonSchema = resourceSchema({
  kind: 'Job',
  nameFormat: 'dns1123-label',
  fields: { spec: jobSpecSchema },
  required: ['spec'],
});

export const cronJobSchema: JsonSchema = resourceSchema({
  kind: 'CronJob',
  // Kubernetes: at most 52 characters, so `<name>-<11-digit minutes>` stays a valid Job name (checked in job-rules.ts).
  nameFormat: 'dns1123-label',
  fields: {
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['schedule', 'jobTemplate'],
      properties: {
        schedule: { type: 'string', minLength: 1 },
        timeZone: { type: 'string', minLength: 1 },
        startingDeadlineSeconds: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        concurrencyPolicy: { type: 'string', enum: ['Allow', 'Forbid', 'Replace'], default: 'Allow' },
        suspend: { ...booleanField, default: false },
        successfulJobsHistoryLimit: { ...nonNegativeInteger, default: 3 },
        failedJobsHistoryLimit: { ...nonNegativeInteger, default: 1 },
        jobTemplate: {
          type: 'object',
          additionalProperties: false,
          required: ['spec'],
          properties: {
            metadata: {
              type: 'object',
              additionalProperties: false,
              properties: { labels: labelsMap, annotations: annotationsMap },
            },
            spec: jobSpecSchema,
          },
        },
      },
    },
  },
  required: ['spec'],
});

