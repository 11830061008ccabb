// What a strategic merge patch needs to know about a field, read from the
// `x-kubernetes-patch-*` annotations of Skiff's JSON Schemas (the same
// annotations the OpenAPI documents hand kubectl), and the table of every
// annotated field of a kind derived from them.
import type { KindName } from '../kinds.js';
import { MANIFEST_SCHEMAS } from '../schema/index.js';
import type { JsonSchema } from '../schema/json-schema.js';

export interface PatchMeta {
  /** Lists: merged item by item (by mergeKey for maps, by value for primitives) rather than replaced. */
  readonly merge: boolean;
  /** Maps: `$retainKeys` in a patch is expected (Kubernetes' patchStrategy retainKeys). */
  readonly retainKeys: boolean;
  readonly mergeKey?: string;
}

export function patchMetaOf(schema: JsonSchema | undefined): PatchMeta {
  const strategies = (schema?.['x-kubernetes-patch-strategy'] ?? '').split(',');
  const mergeKey = schema?.['x-kubernetes-patch-merge-key'];
  return {
    merge: strategies.includes('merge'),
    retainKeys: strategies.includes('retainKeys'),
    ...(mergeKey === undefined ? {} : { mergeKey }),
  };
}

/** The schema of `key` in an object with `schema`; undefined for free-form places (status, unknown kinds). */
export function propertySchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (!schema) return undefined;
  const direct = schema.properties?.[key];
  if (direct) return direct;
  for (const [pattern, child] of Object.entries(schema.patternProperties ?? {})) {
    if (new RegExp(pattern, 'u').test(key)) return child;
  }
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

export interface PatchTableRow extends PatchMeta {
  /** Dotted path from the object's root, `[]` for a list's items: `spec.containers[].ports`. */
  readonly path: string;
}

/**
 * Every field of `kind` with a patch annotation, in schema order: the table
 * strategic merge patches follow, for tests and documentation (the patch
 * itself reads the same annotations while walking the schema).
 */
export function patchStrategyTable(kind: KindName): PatchTableRow[] {
  const rows: PatchTableRow[] = [];
  const walk = (schema: JsonSchema, path: string): void => {
    const meta = patchMetaOf(schema);
    if (meta.merge || meta.retainKeys || meta.mergeKey !== undefined) rows.push({ path, ...meta });
    for (const [key, child] of Object.entries(schema.properties ?? {})) walk(child, path ? `${path}.${key}` : key);
    if (schema.items) walk(schema.items, `${path}[]`);
  };
  const schema = MANIFEST_SCHEMAS[kind];
  if (schema) walk(schema, '');
  return rows;
}
