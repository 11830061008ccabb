// The schemas of what a pod gets from outside its image: env valueFrom and
// envFrom sources, volumes and volumeMounts (volume-types.ts has the shapes).
// What one field says about another (exactly one source, mounts naming a
// volume, paths without "..") is checked in volume-rules.ts.
import { booleanField, positiveInteger, quantity, stringField } from './fields.js';
import type { JsonSchema } from './json-schema.js';

const objectName: JsonSchema = { type: 'string', format: 'dns1123-subdomain' };

/** A file mode: Kubernetes' 0 to 0777, written in YAML as octal (0644) or decimal (420). */
export const fileMode: JsonSchema = {
  type: 'integer',
  minimum: 0,
  maximum: 0o777,
  'x-message': 'must be a file mode between 0 and 0777 (octal, e.g. 0644; 420 in decimal)',
};

export const keySelectorSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'key'],
  properties: { name: objectName, key: { type: 'string', format: 'config-key' }, optional: booleanField },
};

export const objectFieldSelectorSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['fieldPath'],
  properties: { apiVersion: { type: 'string', enum: ['v1'] }, fieldPath: { type: 'string', minLength: 1 } },
};

export const resourceFieldSelectorSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['resource'],
  properties: {
    containerName: { type: 'string', format: 'dns1123-label' },
    resource: {
      type: 'string',
      enum: ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'],
    },
    divisor: quantity,
  },
};

export const envVarSourceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    configMapKeyRef: keySelectorSchema,
    secretKeyRef: keySelectorSchema,
    fieldRef: objectFieldSelectorSchema,
    resourceFieldRef: resourceFieldSelectorSchema,
  },
};

const optionalObjectRef: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: objectName, optional: booleanField },
};

export const envFromSourceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { prefix: stringField, configMapRef: optionalObjectRef, secretRef: optionalObjectRef },
};

const keyToPath: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'path'],
  properties: { key: { type: 'string', format: 'config-key' }, path: { type: 'string', minLength: 1 }, mode: fileMode },
};

const items: JsonSchema = { type: 'array', items: keyToPath };

const downwardApiFile: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1 },
    fieldRef: objectFieldSelectorSchema,
    resourceFieldRef: resourceFieldSelectorSchema,
    mode: fileMode,
  },
};

const downwardApiItems: JsonSchema = { type: 'array', items: downwardApiFile };

export const volumeSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', format: 'dns1123-label' },
    emptyDir: {
      type: 'object',
      additionalProperties: false,
      properties: { medium: { type: 'string', enum: ['', 'Memory'] }, sizeLimit: quantity },
    },
    configMap: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: objectName, items, defaultMode: fileMode, optional: booleanField },
    },
    secret: {
      type: 'object',
      additionalProperties: false,
      required: ['secretName'],
      properties: { secretName: objectName, items, defaultMode: fileMode, optional: booleanField },
    },
    downwardAPI: {
      type: 'object',
      additionalProperties: false,
      properties: { items: downwardApiItems, defaultMode: fileMode },
    },
    projected: {
      type: 'object',
      additionalProperties: false,
      required: ['sources'],
      properties: {
        defaultMode: fileMode,
        sources: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              configMap: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: objectName, items, optional: booleanField } },
              secret: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: objectName, items, optional: booleanField } },
              downwardAPI: { type: 'object', additionalProperties: false, properties: { items: downwardApiItems } },
              serviceAccountToken: {
                type: 'object',
                additionalProperties: false,
                required: ['path'],
                properties: {
                  audience: stringField,
                  // Kubernetes' bounds: at least 10 minutes (and Skiff's token requests at most 48 hours).
                  expirationSeconds: { ...positiveInteger, minimum: 600, maximum: 48 * 3600, default: 3600 },
                  path: { type: 'string', minLength: 1 },
                },
              },
            },
          },
        },
      },
    },
    hostPath: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: { type: 'string', minLength: 1 },
        type: { type: 'string', enum: ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] },
      },
    },
  },
};

export const volumeMountSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'mountPath'],
  properties: {
    name: { type: 'string', format: 'dns1123-label' },
    mountPath: { type: 'string', minLength: 1 },
    subPath: stringField,
    readOnly: booleanField,
  },
};

