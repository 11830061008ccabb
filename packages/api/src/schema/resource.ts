// The envelope every kind shares: apiVersion, kind, metadata, status, and
// the kind's own top-level fields.
import { statusField, stringField } from './fields.js';
import { DRAFT_07, type JsonSchema } from './json-schema.js';
import { objectMetaSchema, type NameFormat } from './object-meta.js';

export interface ResourceSchemaOptions {
  readonly kind: string;
  readonly nameFormat: NameFormat;
  /** Top-level fields besides apiVersion, kind, metadata and status (spec, data…). */
  readonly fields: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
}

export function resourceSchema(options: ResourceSchemaOptions): JsonSchema {
  return {
    $schema: DRAFT_07,
    $id: `https://skiff.dev/schemas/${options.kind}.json`,
    title: options.kind,
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', ...(options.required ?? [])],
    properties: {
      apiVersion: stringField,
      kind: stringField,
      metadata: objectMetaSchema(options.nameFormat),
      ...options.fields,
      status: statusField,
    },
  };
}
