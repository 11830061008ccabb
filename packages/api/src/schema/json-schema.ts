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
}

export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
