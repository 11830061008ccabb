// Kubernetes' strategic merge patch (application/strategic-merge-patch+json),
// applied on the server to one object, driven by the `x-kubernetes-patch-*`
// annotations of the kind's JSON Schema (patch-meta.ts).
//
// Hand-written: no maintained npm library implements strategic merge patch
// (it is defined by k8s.io/apimachinery/pkg/util/strategicpatch in Go). The
// semantics followed, from Kubernetes' documentation and that package:
// - maps merge key by key; `null` deletes a key; a value of another type replaces;
// - lists replace, unless the schema says patchStrategy merge: lists of maps then
//   merge item by item by the patch merge key (containers by name), primitive
//   lists take the union (patch values not yet present are appended);
// - `$patch: replace` in a map replaces the map; `$patch: delete` deletes it;
//   `$patch: merge` is the default; in a merged list, an item `{$patch: replace}`
//   replaces the list with the patch's other items, an item
//   `{<mergeKey>: x, $patch: delete}` removes item x;
// - `$retainKeys: [...]` clears the original's keys not listed;
// - `$deleteFromPrimitiveList/<field>: [...]` removes those values from a merged
//   primitive list;
// - `$setElementOrder/<field>: [...]` orders the merged list: the listed items in
//   that order, items only the original has kept where they were relative to them.
// kubectl computes client-side apply's three-way merge itself and sends the
// result as a strategic merge patch, so the server only applies patches.
import { InvalidError } from '../errors.js';
import type { JsonSchema } from '../schema/json-schema.js';
import { patchMetaOf, propertySchema } from './patch-meta.js';

type JsonObject = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** The result of a map patched with `$patch: delete`: its key goes from the parent. */
const DELETED = Symbol('deleted');

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function where(path: string): string {
  return path === '' ? 'the patch' : path;
}

/**
 * Applies `patch` to `original` (left untouched) and returns the patched
 * object. `schema` is the kind's JSON Schema; without one (or in free-form
 * places such as status) every list is replaced, as Kubernetes does for types
 * it has no patch metadata for. Throws InvalidError on a malformed patch.
 */
export function strategicMergePatch(original: unknown, patch: unknown, schema: JsonSchema | undefined): JsonObject {
  if (!isObject(patch)) throw new InvalidError('a strategic merge patch must be a JSON object');
  const base = isObject(original) ? structuredClone(original) : {};
  const merged = mergeMap(base, patch, schema, '');
  return merged === DELETED ? {} : merged;
}

/** `original` is owned (already a copy) and may be changed in place. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: JsonSchema | undefined, path: string): JsonObject | typeof DELETED {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return DELETED;
  if (directive === 'replace') {
    const { [DIRECTIVE]: _, ...rest } = patch;
    return mergeMap({}, rest, schema, path);
  }
  if (directive !== undefined && directive !== 'merge') {
    throw new InvalidError(`${where(path)}: unknown $patch directive ${JSON.stringify(directive)} (use merge, replace or delete)`);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) applyRetainKeys(original, patch, retain, path);

  const orders: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deleteFromPrimitiveList(original, key.slice(DELETE_FROM_PRIMITIVE_LIST.length), value, path);
    }
  }
  // The original's lists as they were, for $setElementOrder's "where they were".
  const before: JsonObject = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      orders.push([key.slice(SET_ELEMENT_ORDER.length), value]);
      continue;
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    const merged = mergeValue(original[key], value, propertySchema(schema, key), join(path, key));
    if (merged === DELETED) delete original[key];
    else original[key] = merged;
  }
  for (const [field, order] of orders) {
    const fieldPath = join(path, field);
    if (!Array.isArray(order)) throw new InvalidError(`${fieldPath}: ${SET_ELEMENT_ORDER}${field} must be a list`);
    const list = original[field];
    if (!Array.isArray(list)) continue;
    const previous = before[field];
    original[field] = orderList(list, order, Array.isArray(previous) ? previous : [], patchMetaOf(propertySchema(schema, field)).mergeKey, fieldPath);
  }
  return original;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function mergeValue(original: unknown, patch: unknown, schema: JsonSchema | undefined, path: string): unknown {
  if (isObject(patch)) {
    return mergeMap(isObject(original) ? original : {}, patch, schema, path);
  }
  if (Array.isArray(patch)) {
    const meta = patchMetaOf(schema);
    if (!meta.merge) return structuredClone(patch);
    return mergeList(Array.isArray(original) ? original : [], patch, schema?.items, meta.mergeKey, path);
  }
  return patch;
}

function mergeList(original: unknown[], patch: unknown[], itemSchema: JsonSchema | undefined, mergeKey: string | undefined, path: string): unknown[] {
  // `{$patch: replace}` alone is about the list; with a merge key beside it, about that one item.
  const isListDirective = (item: unknown): boolean => isObject(item) && DIRECTIVE in item && Object.keys(item).length === 1;
  const replace = patch.some((item) => isListDirective(item) && (item as JsonObject)[DIRECTIVE] === 'replace');
  const items = patch.filter((item) => !isListDirective(item));
  const result = replace ? [] : [...original];
  if (mergeKey === undefined) {
    for (const item of items) {
      if (isObject(item) || Array.isArray(item)) {
        throw new InvalidError(`${path}: a list merged by value holds only strings, numbers and booleans, not ${JSON.stringify(item)}`);
      }
      if (!result.includes(item)) result.push(item);
    }
    return result;
  }
  for (const [index, item] of items.entries()) {
    const itemPath = `${path}[${String(index)}]`;
    if (!isObject(item)) throw new InvalidError(`${itemPath}: items of a list merged by ${mergeKey} must be maps`);
    const key = item[mergeKey];
    if (key === undefined || key === null) {
      throw new InvalidError(`${itemPath}: has no ${mergeKey}, the key this list is merged by; add ${mergeKey}`);
    }
    const at = result.findIndex((existing) => isObject(existing) && existing[mergeKey] === key);
    if (item[DIRECTIVE] === 'delete') {
      if (at >= 0) result.splice(at, 1);
      continue;
    }
    const existing = at >= 0 ? result[at] : undefined;
    const merged = mergeMap(isObject(existing) ? existing : {}, item, itemSchema, itemPath);
    if (merged === DELETED) {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) result[at] = merged;
    else result.push(merged);
  }
  return result;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject, retain: unknown, path: string): void {
  if (!Array.isArray(retain) || !retain.every((key) => typeof key === 'string')) {
    throw new InvalidError(`${where(path)}: ${RETAIN_KEYS} must be a list of field names`);
  }
  const kept = new Set<string>(retain);
  for (const key of Object.keys(patch)) {
    if (key.startsWith('$') || patch[key] === null) continue;
    if (!kept.has(key)) throw new InvalidError(`${join(path, key)}: is set by the patch but not listed in its ${RETAIN_KEYS}`);
  }
  for (const key of Object.keys(original)) if (!kept.has(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown, path: string): void {
  if (!Array.isArray(values)) throw new InvalidError(`${join(path, field)}: ${DELETE_FROM_PRIMITIVE_LIST}${field} must be a list`);
  const list = original[field];
  if (Array.isArray(list)) original[field] = list.filter((item) => !values.includes(item));
}

/**
 * The merged list in `order`'s order: items named in the order come in that
 * order; items it does not name (the original's, which the patch did not
 * mention) keep their place relative to the named ones, as they were in the
 * original.
 */
function orderList(list: unknown[], order: unknown[], previous: unknown[], mergeKey: string | undefined, path: string): unknown[] {
  const keyOf = (item: unknown): unknown => (mergeKey !== undefined && isObject(item) ? item[mergeKey] : item);
  const wanted: unknown[] = order.map((item) => {
    const key = keyOf(item);
    if (key === undefined) throw new InvalidError(`${path}: every item of ${SET_ELEMENT_ORDER} must have ${mergeKey ?? 'a value'}`);
    return key;
  });
  const rank = (item: unknown): number => wanted.indexOf(keyOf(item));
  const named = list.filter((item) => rank(item) >= 0).sort((a, b) => rank(a) - rank(b));
  const unnamed = list.filter((item) => rank(item) < 0);
  const wasAt = (item: unknown): number => previous.findIndex((old) => keyOf(old) === keyOf(item));
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < named.length || j < unnamed.length) {
    if (j >= unnamed.length) result.push(named[i++]);
    else if (i >= named.length) result.push(unnamed[j++]);
    else {
      const left = wasAt(named[i]);
      const right = wasAt(unnamed[j]);
      // A named item goes first only when both were in the original and it came first there.
      if (left >= 0 && right >= 0 && left < right) result.push(named[i++]);
      else result.push(unnamed[j++]);
    }
  }
  return result;
}
