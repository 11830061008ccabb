// Skiff's draft-07 JSON Schemas as OpenAPI 3.0 schema objects, the dialect
// Kubernetes' /openapi/v3 documents (and kubectl's readers of them) speak.
// Draft-07 keywords OpenAPI 3.0 lacks are translated: a union of integer and
// string becomes `x-kubernetes-int-or-string`, other unions `anyOf`;
// patternProperties and propertyNames (key rules) become a plain
// additionalProperties, since OpenAPI cannot express them (the server still
// checks them); Skiff's x-message becomes the description if there is none.
import type { JsonSchema, JsonType } from '../schema/json-schema.js';

export type OpenApiSchema = Record<string, unknown>;

/** Where ObjectMeta lives in every group-version document, as Kubernetes names it. */
export const OBJECT_META_REF = '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const COPIED = [
  'title',
  'description',
  'required',
  'minItems',
  'maxItems',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'default',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-patch-strategy',
] as const;

export interface ConvertOptions {
  /** Replace a kind's top-level `metadata` by a reference to the shared ObjectMeta component. */
  readonly metadataRef?: boolean;
}

export function toOpenApiSchema(schema: JsonSchema, options: ConvertOptions = {}): OpenApiSchema {
  const out: OpenApiSchema = {};
  const types: readonly JsonType[] = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
  const union = types.length > 1;
  if (union) {
    out['anyOf'] = types.map((type) => ({ type }));
    if (types.length === 2 && types.includes('integer') && types.includes('string')) out['x-kubernetes-int-or-string'] = true;
  } else if (types[0] !== undefined) out['type'] = types[0];
  for (const key of COPIED) {
    const value = schema[key];
    // A union's numeric and string rules apply to one branch only: OpenAPI readers would apply them to both.
    if (value === undefined || (union && key !== 'description' && key !== 'title' && key !== 'default')) continue;
    out[key] = structuredClone(value);
  }
  if (out['description'] === undefined && schema['x-message'] !== undefined) out['description'] = `The value ${schema['x-message']}.`;
  if (schema.properties) {
    const properties: Record<string, OpenApiSchema> = {};
    for (const [key, child] of Object.entries(schema.properties)) {
      properties[key] =
        options.metadataRef && key === 'metadata' ? { allOf: [{ $ref: OBJECT_META_REF }], default: {} } : toOpenApiSchema(child);
    }
    out['properties'] = properties;
  }
  const patterns = Object.values(schema.patternProperties ?? {});
  if (typeof schema.additionalProperties === 'object') out['additionalProperties'] = toOpenApiSchema(schema.additionalProperties);
  else if (patterns[0] !== undefined) out['additionalProperties'] = toOpenApiSchema(patterns[0]);
  else if (schema.additionalProperties === false) out['additionalProperties'] = false;
  if (schema.items) out['items'] = toOpenApiSchema(schema.items);
  // A free-form object (status, a kind Skiff stores as given): kubectl must not report its fields as unknown.
  if (out['type'] === 'object' && !schema.properties && schema.additionalProperties === undefined && patterns.length === 0) {
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}
