// Server-side apply (`PATCH` with `application/apply-patch+yaml`): the field
// sets each manager owns, kept in `metadata.managedFields` in Kubernetes'
// FieldsV1 notation (`f:spec`, `k:{"name":"web"}`, `v:"x"`), the apply merge,
// and conflicts between managers.
//
// Hand-written: Kubernetes' implementation (structured-merge-diff) is Go and
// no maintained JavaScript port exists. The subset it covers, honestly:
// - Lists: merged item by item only where the schema names a merge key
//   (`x-kubernetes-patch-merge-key`, one key per list: Kubernetes' multi-key
//   lists such as ports by port+protocol use the first key only), sets of
//   primitives where the strategy is `merge`; every other list is atomic (one
//   leaf owned as a whole). No `x-kubernetes-list-type`/`map-type` nuances.
// - Only Apply operations are recorded. PUT, the other patch types, scale and
//   ctl apply keep whatever managedFields the object has (apply-plan.ts) but
//   add no Update entry, so only appliers conflict with one another; fields
//   written any other way have no owner and any applier may change them.
// - Fields leave the object only when the manager that applied them omits
//   them and no other manager owns them; parents emptied that way stay
//   (`spec: {}`), where Kubernetes would prune them.
// - Status is not applied (main resource only); apiVersion, kind and the
//   server's metadata (name, namespace, uid…) are not owned by anyone.
import { isDeepStrictEqual } from 'node:util';
import { ConflictError, InvalidError } from '../errors.js';
import type { JsonSchema } from '../schema/json-schema.js';
import { patchMetaOf, propertySchema } from './patch-meta.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface ApplyConflictCause {
  readonly reason: 'FieldManagerConflict';
  readonly message: string;
  readonly field: string;
}

/** 409 Conflict with one cause per field another manager owns with a different value (unless force). */
export class ApplyConflictError extends ConflictError {
  constructor(readonly causes: readonly ApplyConflictCause[]) {
    super(conflictMessage(causes));
  }
}

export interface ApplyInput {
  /** The stored object, or undefined when the apply creates it. */
  readonly current: Record<string, unknown> | undefined;
  /** The applied configuration (already parsed from YAML). */
  readonly applied: Record<string, unknown>;
  readonly manager: string;
  readonly force: boolean;
  /** The kind's schema: where merge keys come from (undefined: every list is atomic). */
  readonly schema: JsonSchema | undefined;
  readonly now: Date;
}

/** A path in FieldsV1 tokens: `['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']`. */
type FieldPath = readonly string[];

/** Fields nobody owns: identity and what the server writes. */
const UNOWNED_ROOT = new Set(['apiVersion', 'kind', 'status']);
const UNOWNED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields']);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The merge key of a list field, when its items are merged by it. */
function mergeKeyOf(schema: JsonSchema | undefined): string | undefined {
  const meta = patchMetaOf(schema);
  return meta.merge ? meta.mergeKey : undefined;
}

function isItemToken(token: string | undefined): boolean {
  return token !== undefined && (token.startsWith('k:') || token.startsWith('v:'));
}

/**
 * The field set of an object: every leaf (primitive, atomic list, empty map)
 * and every item of a keyed list, as FieldsV1 paths (JSON strings, for sets).
 */
export function fieldSetOf(object: Record<string, unknown>, schema: JsonSchema | undefined): Set<string> {
  const paths = new Set<string>();
  const walk = (value: unknown, valueSchema: JsonSchema | undefined, path: FieldPath): void => {
    if (isObject(value)) {
      const keys = Object.keys(value).filter((key) => !(path.length === 0 && UNOWNED_ROOT.has(key)) && !(path.length === 1 && path[0] === 'f:metadata' && UNOWNED_METADATA.has(key)));
      if (keys.length === 0 && path.length > 0 && !isItemToken(path.at(-1)) && !(path.length === 1 && path[0] === 'f:metadata')) paths.add(JSON.stringify(path));
      for (const key of keys) walk(value[key], propertySchema(valueSchema, key), [...path, `f:${key}`]);
      return;
    }
    if (Array.isArray(value)) {
      const meta = patchMetaOf(valueSchema);
      const mergeKey = mergeKeyOf(valueSchema);
      if (mergeKey !== undefined && value.every((item) => isObject(item) && item[mergeKey] !== undefined)) {
        for (const item of value as Record<string, unknown>[]) {
          const itemPath = [...path, `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`];
          paths.add(JSON.stringify(itemPath));
          walk(item, valueSchema?.items, itemPath);
        }
        return;
      }
      if (meta.merge && value.every((item) => !isObject(item) && !Array.isArray(item))) {
        for (const item of value) paths.add(JSON.stringify([...path, `v:${JSON.stringify(item)}`]));
        return;
      }
    }
    paths.add(JSON.stringify(path));
  };
  walk(object, schema, []);
  return paths;
}

/** Kubernetes' FieldsV1 object of a field set: nested `f:`/`k:`/`v:` keys, `{}` at leaves, `".": {}` on list items. */
export function toFieldsV1(paths: Iterable<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const encoded of [...paths].sort()) {
    const path = JSON.parse(encoded) as string[];
    let node = root;
    for (const token of path) node = (node[token] ??= {}) as Record<string, unknown>;
    if (path[0] !== undefined && path.at(-1)?.startsWith('k:')) node['.'] = {};
  }
  return root;
}

/** The field set a FieldsV1 object names (the inverse of toFieldsV1). */
export function fromFieldsV1(fields: unknown): Set<string> {
  const paths = new Set<string>();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    const children = Object.keys(node).filter((key) => key !== '.');
    if ('.' in node || (children.length === 0 && path.length > 0)) paths.add(JSON.stringify(path));
    for (const key of children) walk(node[key], [...path, key]);
  };
  walk(fields, []);
  return paths;
}

/** `.spec.containers[name="web"].image`, the way Kubernetes prints a field path in conflicts. */
export function fieldPathString(encoded: string): string {
  return (JSON.parse(encoded) as string[])
    .map((token) => {
      if (token.startsWith('f:')) return `.${token.slice(2)}`;
      if (token.startsWith('v:')) return `[=${token.slice(2)}]`;
      const key = JSON.parse(token.slice(2)) as Record<string, unknown>;
      return `[${Object.entries(key).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(',')}]`;
    })
    .join('');
}

/** What is at `path` in `object` (undefined when absent); for item tokens, the item. */
function valueAt(object: unknown, path: FieldPath): unknown {
  let node = object;
  for (const token of path) {
    if (token.startsWith('f:')) node = isObject(node) ? node[token.slice(2)] : undefined;
    else node = Array.isArray(node) ? node[itemIndex(node, token)] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function itemIndex(list: readonly unknown[], token: string): number {
  if (token.startsWith('v:')) {
    const wanted = JSON.parse(token.slice(2)) as unknown;
    return list.findIndex((item) => isDeepStrictEqual(item, wanted));
  }
  const key = Object.entries(JSON.parse(token.slice(2)) as Record<string, unknown>);
  return list.findIndex((item) => isObject(item) && key.every(([name, value]) => isDeepStrictEqual(item[name], value)));
}

/** Removes the field (or list item) at `path` from `object`, in place. */
function removeAt(object: Record<string, unknown>, path: FieldPath): void {
  const parent = valueAt(object, path.slice(0, -1));
  const last = path.at(-1);
  if (last === undefined) return;
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const index = itemIndex(parent, last);
    if (index >= 0) parent.splice(index, 1);
  }
}

/** The applied configuration merged into `current`: maps field by field, keyed lists item by item, the rest replaced. */
export function mergeApplied(current: unknown, applied: unknown, schema: JsonSchema | undefined): unknown {
  if (isObject(current) && isObject(applied)) {
    const merged: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(applied)) merged[key] = mergeApplied(current[key], value, propertySchema(schema, key));
    return merged;
  }
  if (Array.isArray(current) && Array.isArray(applied)) {
    const mergeKey = mergeKeyOf(schema);
    if (mergeKey !== undefined && [...current, ...applied].every((item) => isObject(item) && item[mergeKey] !== undefined)) {
      const merged = [...current] as Record<string, unknown>[];
      for (const item of applied as Record<string, unknown>[]) {
        const index = merged.findIndex((existing) => isDeepStrictEqual(existing[mergeKey], item[mergeKey]));
        if (index >= 0) merged[index] = mergeApplied(merged[index], item, schema?.items) as Record<string, unknown>;
        else merged.push(structuredClone(item));
      }
      return merged;
    }
    if (patchMetaOf(schema).merge && mergeKey === undefined) return [...current, ...applied.filter((item) => !current.some((existing) => isDeepStrictEqual(existing, item)))];
  }
  return structuredClone(applied);
}

function managedFieldsOf(object: Record<string, unknown> | undefined): ManagedFieldsEntry[] {
  const metadata = object?.['metadata'];
  const entries = isObject(metadata) ? metadata['managedFields'] : undefined;
  return Array.isArray(entries) ? (entries.filter(isObject) as unknown as ManagedFieldsEntry[]) : [];
}

/**
 * One apply: the object to store (current merged with the applied
 * configuration, fields this manager dropped removed) with its new
 * managedFields. Throws ApplyConflictError when another manager owns an
 * applied field with a different value and force is false; with force the
 * field changes hands.
 */
export function serverSideApply(input: ApplyInput): Record<string, unknown> {
  const { current, manager, force, schema } = input;
  if (manager === '') throw new InvalidError('fieldManager is required for apply requests: add ?fieldManager=NAME (kubectl sends its own)');
  const { status: _status, ...applied } = input.applied;
  const appliedMetadata = isObject(applied['metadata']) ? applied['metadata'] : {};
  if (appliedMetadata['managedFields'] !== undefined) throw new InvalidError('metadata.managedFields must not be set in an applied configuration: the server keeps it');
  const appliedSet = fieldSetOf(applied, schema);
  const entries = managedFieldsOf(current);
  const mine = entries.find((entry) => entry.manager === manager && entry.operation === 'Apply' && entry.subresource === undefined);
  const others = entries.filter((entry) => entry !== mine).map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));

  const causes: ApplyConflictCause[] = [];
  for (const other of others) {
    for (const path of appliedSet) {
      if (!other.fields.has(path)) continue;
      const tokens = JSON.parse(path) as string[];
      // Owning the same list item (by key) is shared ownership, never a conflict; only values can differ.
      if (isItemToken(tokens.at(-1)) || isDeepStrictEqual(valueAt(current, tokens), valueAt(applied, tokens))) continue;
      if (force) other.fields.delete(path);
      else causes.push({ reason: 'FieldManagerConflict', message: `conflict with ${JSON.stringify(other.entry.manager)}`, field: fieldPathString(path) });
    }
  }
  if (causes.length > 0) throw new ApplyConflictError(causes);

  const { metadata: _currentMetadata, ...currentRest } = current ?? {};
  const merged = mergeApplied(currentRest, applied, schema) as Record<string, unknown>;
  const currentMetadata = isObject(current?.['metadata']) ? current['metadata'] : {};
  merged['metadata'] = mergeApplied(currentMetadata, appliedMetadata, propertySchema(schema, 'metadata'));
  const ownedByOthers = new Set(others.flatMap((other) => [...other.fields]));
  // Shallowest first: a dropped list item goes whole (its fields, key included, are then not found).
  const dropped = [...(mine ? fromFieldsV1(mine.fieldsV1) : [])].filter((path) => !appliedSet.has(path) && !ownedByOthers.has(path));
  for (const path of dropped.sort((a, b) => a.length - b.length)) removeAt(merged, JSON.parse(path) as string[]);

  const apiVersion = typeof applied['apiVersion'] === 'string' ? applied['apiVersion'] : '';
  const fieldsV1 = toFieldsV1(appliedSet);
  const mineAfter: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion, time: input.now.toISOString().replace(/\.\d+Z$/u, 'Z'), fieldsType: 'FieldsV1', fieldsV1 };
  const managedFields: ManagedFieldsEntry[] = [...others.filter((other) => other.fields.size > 0).map((other) => ({ ...other.entry, fieldsV1: toFieldsV1(other.fields) })), mineAfter];
  (merged['metadata'] as Record<string, unknown>)['managedFields'] = managedFields;
  // Re-applying the same configuration changes nothing, not even the time: ApiService then answers "unchanged" without a write.
  if (mine && isDeepStrictEqual(mine.fieldsV1, fieldsV1) && isDeepStrictEqual({ ...merged, metadata: { ...(merged['metadata'] as object), managedFields: entries } }, current)) {
    mineAfter.time = mine.time;
    (merged['metadata'] as Record<string, unknown>)['managedFields'] = entries;
  }
  return merged;
}

/**
 * Kubernetes' wording (structured-merge-diff's Conflicts.Error behind the apiserver's prefix):
 * one conflict is `Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas`;
 * several are listed per manager, managers sorted: `conflicts with "kubectl":\n- .spec.replicas`.
 */
function conflictMessage(causes: readonly ApplyConflictCause[]): string {
  const [only] = causes;
  if (causes.length === 1 && only) return `Apply failed with 1 conflict: ${only.message}: ${only.field}`;
  const byManager = new Map<string, string[]>();
  for (const cause of causes) byManager.set(cause.message, [...(byManager.get(cause.message) ?? []), cause.field]);
  const lines = [...byManager.keys()].sort().flatMap((message) => [`${message.replace(/^conflict /u, 'conflicts ')}:`, ...(byManager.get(message) ?? []).map((field) => `- ${field}`)]);
  return `Apply failed with ${String(causes.length)} conflicts: ${lines.join('\n')}`;
}
