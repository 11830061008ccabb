// validateManifest: the one gate every manifest passes, on the CLI (to fail
// fast, before anything is sent) and on the server (the authority). Both
// sides run this same code, so they cannot disagree about what is valid.
import { formatFieldPath, type FieldIssue, type PathSegment } from './field-path.js';
import { isRecord, type JsonRecord } from './json-guards.js';
import { KINDS, resolveKind, type KindInfo } from './kinds.js';
import { applyManifestDefaults } from './manifest-defaults.js';
import { checkManifestRules } from './manifest-rules.js';
import { hasSchema, validateAgainstSchema, type RawIssue } from './schema-validator.js';
import type { ResourceObject } from './types.js';

export { formatFieldPath, formatIssue, type FieldIssue, type PathSegment } from './field-path.js';
export { MAX_DATA_BYTES } from './manifest-rules.js';

/** The largest object Skiff stores, serialized as JSON (etcd's request limit, with room to spare). */
export const MAX_OBJECT_BYTES = 1024 * 1024;

/**
 * How many mappings and lists deep a document may go, itself included. Real
 * manifests stay under 15; the limit keeps every recursive walk (this copy,
 * ajv, JSON.stringify) far from the stack's end.
 */
export const MAX_NESTING_DEPTH = 100;

export interface ValidationResult {
  /** Present only when errors is empty: a deep copy, defaulted, with unknown fields removed. */
  readonly object?: ResourceObject;
  /** Present whenever `kind` names a kind Skiff knows, even when the object is invalid. */
  readonly kind?: KindInfo;
  readonly errors: readonly FieldIssue[];
  /** One per unknown field (empty under strict, where they are errors). */
  readonly warnings: readonly FieldIssue[];
}

export interface ValidateOptions {
  /** Unknown fields are errors rather than warnings (`ctl apply --strict`). */
  readonly strict?: boolean;
  /**
   * The server, taking writes from Skiff's components as well as users: kinds
   * marked componentWritable (Event) are accepted too. ctl never sets it, so
   * `ctl apply` of an Event is refused before anything is sent.
   */
  readonly components?: boolean;
}

const MIB = 1024 * 1024;

const APPLICABLE_KINDS = KINDS.filter((k) => k.userWritable).map((k) => k.kind);

/**
 * Validates one manifest (a parsed YAML/JSON document) against its kind's
 * schema and rules. Never mutates `input`.
 */
export function validateManifest(input: unknown, options: ValidateOptions = {}): ValidationResult {
  if (!isRecord(input)) {
    return failed(undefined, '', 'must be a mapping (an object with apiVersion, kind and metadata)');
  }

  const kindValue = input['kind'];
  if (kindValue === undefined || kindValue === null) return failed(undefined, 'kind', 'is required');
  if (typeof kindValue !== 'string') return failed(undefined, 'kind', 'must be a string');
  const info = KINDS.find((k) => k.kind === kindValue);
  if (!info) {
    const near = resolveKind(kindValue);
    const hint = near?.userWritable ? ` (did you mean ${near.kind}?)` : '';
    return failed(
      undefined,
      'kind',
      `unknown kind ${quoted(kindValue)}${hint}; Skiff accepts ${APPLICABLE_KINDS.join(', ')}`,
    );
  }
  const writable = info.userWritable || (options.components === true && info.componentWritable === true);
  if (!writable || !hasSchema(info.kind)) {
    return failed(info, 'kind', `${info.kind} objects are written by Skiff itself and cannot be applied`);
  }

  const apiVersion = input['apiVersion'];
  const servedAt = `${info.kind} is served at ${info.apiVersion}`;
  if (apiVersion === undefined || apiVersion === null) return failed(info, 'apiVersion', `is required (${servedAt})`);
  if (typeof apiVersion !== 'string') return failed(info, 'apiVersion', `must be a string (${servedAt})`);
  if (apiVersion !== info.apiVersion) return failed(info, 'apiVersion', `${servedAt}, not ${quoted(apiVersion)}`);

  const copied = copyJson(input);
  if (copied.issues.length > 0) return result(info, copied.issues, []);
  const doc = copied.value as JsonRecord;

  const bytes = Buffer.byteLength(JSON.stringify(doc));
  if (bytes > MAX_OBJECT_BYTES) {
    return failed(info, '', `object is ${formatMiB(bytes)} MiB; the largest object Skiff stores is 1 MiB`);
  }

  // Kubernetes ignores a namespace on a cluster-scoped object rather than rejecting it.
  const metadata = doc['metadata'];
  if (!info.namespaced && isRecord(metadata)) delete metadata['namespace'];

  const schema = validateAgainstSchema(info.kind, doc);
  for (const path of schema.unknownFields) removeAt(doc, path);
  applyManifestDefaults(info.kind, doc);
  const rules = checkManifestRules(info.kind, doc);

  const unknown = schema.unknownFields.map((segments) => ({
    segments,
    message: `unknown field ${JSON.stringify(segments[segments.length - 1])}`,
  }));
  const errors = [...schema.errors, ...(options.strict ? unknown : []), ...rules];
  const warnings = options.strict ? [] : unknown;
  const out = result(info, errors, warnings);
  return out.errors.length === 0 ? { ...out, object: doc as unknown as ResourceObject } : out;
}

/** A user's value in a message: quoted, and cut short, so a megabyte of it cannot drown the message. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function failed(kind: KindInfo | undefined, path: string, message: string): ValidationResult {
  return { ...(kind ? { kind } : {}), errors: [{ path, message }], warnings: [] };
}

/** Renders paths and keeps the first issue per field: one clear sentence beats three echoes. */
function result(kind: KindInfo, errors: readonly RawIssue[], warnings: readonly RawIssue[]): ValidationResult {
  return { kind, errors: uniqueByPath(errors), warnings: uniqueByPath(warnings) };
}

function uniqueByPath(issues: readonly RawIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = formatFieldPath(issue.segments);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message: issue.message });
  }
  return out;
}

function formatMiB(bytes: number): string {
  const rough = (bytes / MIB).toFixed(1);
  // "1.0 MiB; the largest … is 1 MiB" would read as a contradiction.
  return rough === '1.0' ? (bytes / MIB).toFixed(3) : rough;
}

function removeAt(doc: JsonRecord, path: readonly PathSegment[]): void {
  let node: unknown = doc;
  for (const segment of path.slice(0, -1)) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isRecord(node) && typeof segment === 'string') node = node[segment];
    else return;
  }
  const last = path[path.length - 1];
  if (isRecord(node) && typeof last === 'string') delete node[last];
}

interface Copied {
  readonly value: unknown;
  readonly issues: RawIssue[];
}

/**
 * A deep copy reduced to JSON data, as the server will store it. A null field
 * is dropped, as Kubernetes treats it (YAML's `labels:` with nothing after
 * it means "no labels"); values JSON cannot hold are reported.
 */
function copyJson(input: unknown): Copied {
  const issues: RawIssue[] = [];
  const ancestors = new Set<object>();
  const visit = (value: unknown, path: PathSegment[]): unknown => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (!Number.isFinite(value)) issues.push({ segments: path, message: 'must be a finite number' });
        return value;
      case 'object':
        break;
      default:
        issues.push({ segments: path, message: `must be plain data (found a ${typeof value})` });
        return undefined;
    }
    if (value === null) return null;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (path.length >= MAX_NESTING_DEPTH) {
      issues.push({ segments: path, message: `must not be nested more than ${MAX_NESTING_DEPTH} levels deep (mappings and lists)` });
      return undefined;
    }
    if (ancestors.has(value)) {
      issues.push({ segments: path, message: 'must not contain itself (a recursive YAML alias)' });
      return undefined;
    }
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i]));
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        issues.push({ segments: path, message: 'must be a mapping, a list or a scalar' });
        return undefined;
      }
      const out: JsonRecord = {};
      for (const [key, item] of Object.entries(value)) {
        if (item === null || item === undefined) continue;
        // defineProperty: a "__proto__" key must stay a field, not become the copy's prototype.
        Object.defineProperty(out, key, {
          value: visit(item, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    } finally {
      ancestors.delete(value);
    }
  };
  const value = visit(input, []);
  return { value, issues };
}
