// The draft-07 keywords Skiff's schemas use, typed so that a misspelt keyword
// in a schema literal is a compile error rather than a silently ignored rule.

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: JsonType | readonly JsonType[];
  properties?: Readonly<Record<string, JsonSchema>>;
  patternProperties?: Readonly<Record<string, JsonSchema>>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  required?: readonly string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly (string | number | boolean | null)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  /**
   * What a valid value looks like, in words, for the field as a whole: used
   * instead of the per-keyword message when a union-typed field (a quantity, an
   * int-or-string port) fails, so the user reads one sentence, not three.
   */
  'x-message'?: string;
  /**
   * How a strategic merge patch treats this field, as Kubernetes' OpenAPI
   * spells it: lists of maps are merged by `x-kubernetes-patch-merge-key`
   * (containers by name) when the strategy includes `merge`; `retainKeys`
   * lets a patch's `$retainKeys` clear the fields it does not list. Lists
   * without a strategy are replaced whole. The strategic-merge-patch module
   * and the OpenAPI documents kubectl downloads both read these.
   */
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: PatchStrategy;
}

export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';

/** A list merged by `mergeKey` in strategic merge patches (Kubernetes' `patchMergeKey`, `patchStrategy:"merge"`). */
export function mergedList(items: JsonSchema, mergeKey: string, extra: Partial<JsonSchema> = {}): JsonSchema {
  return { type: 'array', items, 'x-kubernetes-patch-merge-key': mergeKey, 'x-kubernetes-patch-strategy': 'merge', ...extra };
}

/** Skiff's own keywords: annotations for messages and patches, not validation rules; ajv is told of each. */
export const ANNOTATION_KEYWORDS = ['x-message', 'x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy'] as const;

export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
