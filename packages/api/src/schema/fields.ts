// Leaf field schemas that several kinds share.
import type { JsonSchema } from './json-schema.js';

export const stringField: JsonSchema = { type: 'string' };
export const booleanField: JsonSchema = { type: 'boolean' };
export const stringList: JsonSchema = { type: 'array', items: { type: 'string' } };
/** Kubernetes' integer fields are int32: larger values are typos, and would stall whoever acts on them. */
export const MAX_INT32 = 2_147_483_647;
export const nonNegativeInteger: JsonSchema = { type: 'integer', minimum: 0, maximum: MAX_INT32 };
export const positiveInteger: JsonSchema = { type: 'integer', minimum: 1, maximum: MAX_INT32 };

/** Label maps: metadata.labels, nodeSelector, Service selectors, matchLabels. */
export const labelsMap: JsonSchema = {
  type: 'object',
  propertyNames: { format: 'label-key' },
  additionalProperties: { type: 'string', format: 'label-value' },
};

export const annotationsMap: JsonSchema = {
  type: 'object',
  propertyNames: { format: 'label-key' },
  additionalProperties: { type: 'string' },
};

/** YAML writes `cpu: 1` as a number, and Kubernetes accepts that, so a quantity is either. */
export const quantity: JsonSchema = {
  type: ['string', 'number'],
  format: 'quantity',
  minimum: 0,
  'x-message': 'must be a quantity like 250m or 128Mi',
};

export const portNumber: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: 65535,
  'x-message': 'must be a port number between 1 and 65535',
};

/** A port given by number or by the name of a container port. */
export const portNumberOrName: JsonSchema = {
  type: ['integer', 'string'],
  minimum: 1,
  maximum: 65535,
  format: 'port-name',
  'x-message': 'must be a port number between 1 and 65535 or a port name like "http"',
};

/** maxSurge/maxUnavailable: a count of pods or a percentage of the replicas. */
export const intOrPercent: JsonSchema = {
  type: ['integer', 'string'],
  minimum: 0,
  format: 'percent',
  'x-message': 'must be a non-negative integer or a percentage like 25%',
};

/** Whatever the server last reported; the server ignores it on apply, so it is accepted as is. */
export const statusField: JsonSchema = { type: 'object' };
