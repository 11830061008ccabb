// Runs a kind's JSON Schema over a document with ajv, applying the schema's
// defaults in place, and turns ajv's errors into one sentence per field.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { PathSegment } from './field-path.js';
import { pointerSegments } from './field-path.js';
import type { KindName } from './kinds.js';
import { FORMATS } from './schema/formats.js';
import { ANNOTATION_KEYWORDS } from './schema/json-schema.js';
import { MANIFEST_SCHEMAS } from './schema/index.js';

export interface RawIssue {
  readonly segments: readonly PathSegment[];
  readonly message: string;
}

export interface SchemaOutcome {
  readonly errors: RawIssue[];
  /** Paths of fields the schema does not know, in document order. */
  readonly unknownFields: PathSegment[][];
}

let ajv: Ajv | undefined;
const compiled = new Map<KindName, ValidateFunction>();

function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({
      allErrors: true,
      useDefaults: true,
      // parentSchema and data let a message name the expectation and the offending value.
      verbose: true,
      allowUnionTypes: true,
      strict: true,
    });
    for (const keyword of ANNOTATION_KEYWORDS) ajv.addKeyword({ keyword, schemaType: 'string' });
    for (const [name, def] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: def.validate });
  }
  return ajv;
}

function validatorFor(kind: KindName): ValidateFunction | undefined {
  let fn = compiled.get(kind);
  if (!fn) {
    const schema = MANIFEST_SCHEMAS[kind];
    if (!schema) return undefined;
    fn = instance().compile(schema);
    compiled.set(kind, fn);
  }
  return fn;
}

/** True when the kind has a manifest schema (the kinds users may apply). */
export function hasSchema(kind: KindName): boolean {
  return MANIFEST_SCHEMAS[kind] !== undefined;
}

/** Validates `document` in place: schema defaults are written into it. */
export function validateAgainstSchema(kind: KindName, document: unknown): SchemaOutcome {
  const validate = validatorFor(kind);
  if (!validate) throw new Error(`no schema for kind ${kind}`);
  const errors: RawIssue[] = [];
  const unknownFields: PathSegment[][] = [];
  if (validate(document)) return { errors, unknownFields };
  for (const error of validate.errors ?? []) {
    const base = pointerSegments(error.instancePath, document);
    switch (error.keyword) {
      case 'additionalProperties':
        unknownFields.push([...base, String(error.params['additionalProperty'])]);
        break;
      case 'propertyNames':
        // ajv also reports the failing inner keyword, with the key attached; that one carries the reason.
        break;
      case 'required':
        errors.push({ segments: [...base, String(error.params['missingProperty'])], message: 'is required' });
        break;
      default:
        errors.push({
          segments: error.propertyName === undefined ? base : [...base, error.propertyName],
          message: messageFor(error),
        });
    }
  }
  return { errors, unknownFields };
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function listWords(items: readonly string[], conjunction: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1] ?? ''}`;
}

function messageFor(error: ErrorObject): string {
  const parent: unknown = error.parentSchema;
  const override =
    parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)['x-message'] : undefined;
  const params = error.params as Record<string, unknown>;
  const limit = params['limit'];
  // A property name failing is about the key, whatever x-message the value's schema has.
  const fieldMessage = typeof override === 'string' && error.propertyName === undefined ? override : undefined;
  switch (error.keyword) {
    case 'type': {
      const raw = params['type'];
      const types = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
      const expected = `must be ${listWords(types.map((t) => TYPE_WORDS[t] ?? t), 'or')}`;
      // The classic YAML trap: `version: 1.0` or `enabled: yes` is not text until quoted.
      const scalar = error.data;
      if (!fieldMessage && types.length === 1 && types[0] === 'string' && (typeof scalar === 'number' || typeof scalar === 'boolean')) {
        // Never the value itself: it may be a Secret's.
        return `${expected} (YAML reads this value as a ${typeof scalar}; put it in quotes)`;
      }
      return fieldMessage ?? expected;
    }
    case 'format': {
      const format = String(params['format']);
      const data = error.propertyName ?? (typeof error.data === 'string' ? error.data : '');
      const def = FORMATS[format];
      return fieldMessage ?? (def ? def.message(data) : `must be a valid ${format}`);
    }
    case 'enum': {
      const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'].map(String) : [];
      return fieldMessage ?? `must be one of ${allowed.join(', ')}`;
    }
    case 'minimum':
      return fieldMessage ?? `must be >= ${String(limit)}`;
    case 'maximum':
      return fieldMessage ?? `must be <= ${String(limit)}`;
    case 'minItems':
      return limit === 1 ? 'must not be empty' : `must have at least ${String(limit)} items`;
    case 'maxItems':
      return `must have at most ${String(limit)} items`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${String(limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(limit)} characters`;
    case 'pattern':
      return fieldMessage ?? `must match ${String(params['pattern'])}`;
    default:
      return error.message ?? `is invalid (${error.keyword})`;
  }
}
