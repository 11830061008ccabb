// metadata, shared by every kind. The fields the server owns are accepted
// (users apply `ctl get -o yaml` output back) and left for the server to
// overwrite.
import { annotationsMap, labelsMap, nonNegativeInteger, stringField } from './fields.js';
import { type JsonSchema, mergedList } from './json-schema.js';

/** The format a kind's names must have: Kubernetes uses the strictest one the name ends up in (DNS, file names…). */
export type NameFormat = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

const ownerReference: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'uid'],
  properties: {
    apiVersion: stringField,
    kind: stringField,
    name: stringField,
    uid: stringField,
    controller: { type: 'boolean' },
    blockOwnerDeletion: { type: 'boolean' },
  },
};

/** Server-side apply's ownership records (patch/server-side-apply.ts), in Kubernetes' ManagedFieldsEntry shape. */
const managedFieldsEntry: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manager', 'operation'],
  properties: {
    manager: stringField,
    operation: { type: 'string', enum: ['Apply', 'Update'] },
    apiVersion: stringField,
    time: stringField,
    fieldsType: { type: 'string', enum: ['FieldsV1'] },
    // FieldsV1 is free-form: nested `f:`/`k:` keys.
    fieldsV1: { type: 'object' },
    subresource: stringField,
  },
};

export function objectMetaSchema(nameFormat: NameFormat): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    // An absent metadata is reported as a missing name, the field the user has to add.
    default: {},
    properties: {
      name: { type: 'string', format: nameFormat },
      namespace: { type: 'string', format: 'dns1123-label' },
      uid: stringField,
      resourceVersion: stringField,
      generation: nonNegativeInteger,
      creationTimestamp: stringField,
      deletionTimestamp: stringField,
      deletionGracePeriodSeconds: nonNegativeInteger,
      labels: labelsMap,
      annotations: annotationsMap,
      ownerReferences: mergedList(ownerReference, 'uid'),
      finalizers: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 253 } },
      managedFields: { type: 'array', items: managedFieldsEntry },
    },
  };
}

/** A pod template's metadata: only what a template can meaningfully carry. */
export const templateMetaSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    labels: labelsMap,
    annotations: annotationsMap,
  },
};
