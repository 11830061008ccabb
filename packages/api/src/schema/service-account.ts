import { booleanField, stringField } from './fields.js';
import { type JsonSchema, mergedList } from './json-schema.js';
import { localObjectReferenceSchema } from './pod-spec.js';
import { resourceSchema } from './resource.js';

export const objectReferenceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: stringField,
    kind: stringField,
    namespace: stringField,
    name: stringField,
    uid: stringField,
    resourceVersion: stringField,
    fieldPath: stringField,
  },
};

export const serviceAccountSchema: JsonSchema = resourceSchema({
  kind: 'ServiceAccount',
  nameFormat: 'dns1123-subdomain',
  fields: {
    secrets: mergedList(objectReferenceSchema, 'name'),
    imagePullSecrets: { type: 'array', items: localObjectReferenceSchema },
    automountServiceAccountToken: booleanField,
  },
});
