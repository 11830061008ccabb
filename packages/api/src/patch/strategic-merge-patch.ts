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
//   lists take the union;
// - `$patch: replace` in a map replaces the map; `$patch: delete` empties it
//   (`$patch: merge`, the default, is accepted too); in a merged list, an item
//   with `$patch: replace` replaces the list with the patch's other items, an
//   item `{<mergeKey>: x, $patch: delete}` removes item x;
// - `$retainKeys: [...]` clears the original's keys not listed;
// - `$deleteFromPrimitiveList/<field>: [...]` removes those values from a merged
//   primitive list;
// - a merged list is ordered: the patch's items in the patch's order (or in
//   `$setElementOrder/<field>`'s, which must agree with it), the original's other
//   items in their original order, each of those before a patch item only when
//   it came before that item in the original (the order strategicpatch's
//   implementation gives, which differs in corner cases from its design note).
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

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function where(path: string): string {
  return path === '' ? 'the patch' : path;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Applies `patch` to `original` (left untouched) and returns the patched
 * object. `schema` is the kind's JSON Schema; without one (or in free-form
 * places such as status) every list is replaced, as Kubernetes does for types
 * it has no patch metadata for. Throws InvalidError on a malformed patch.
 */
export function strategicMergePatch(original: unknown, patch: unknown, schema: JsonSchema | undefined): JsonObject {
  if (!isObject(patch)) throw new InvalidError('a strategic merge patch must be a JSON object');
  return mergeMap(isObject(original) ? structuredClone(original) : {}, patch, schema, '');
}

/** `original` is owned (already a copy) and may be changed in place. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: JsonSchema | undefined, path: string): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return {};
  if (directive === 'replace') {
    const { [DIRECTIVE]: _, ...rest } = patch;
    return mergeMap({}, rest, schema, path);
  }
  if (directive !== undefined && directive !== 'merge') {
    throw new InvalidError(`${where(path)}: unknown $patch directive ${JSON.stringify(directive)} (use merge, replace or delete)`);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) applyRetainKeys(original, patch, retain, path);

  // Lists with a $setElementOrder first: merged, then ordered against the original as it was.
  const done = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const fieldPath = join(path, field);
    if (!Array.isArray(order)) throw new InvalidError(`${fieldPath}: ${key} must be a list`);
    const fieldSchema = propertySchema(schema, field);
    const live = Array.isArray(original[field]) ? (original[field] as unknown[]) : [];
    const value = patch[field];
    const merged = value === undefined || value === null ? original[field] : mergeValue(original[field], value, fieldSchema, fieldPath);
    done.add(field);
    if (value === null) delete original[field];
    if (!Array.isArray(merged)) continue;
    const keyOf = keyFunction(patchMetaOf(fieldSchema).mergeKey, fieldPath);
    if (Array.isArray(value)) checkAgreesWithOrder(value, order, keyOf, fieldPath);
    original[field] = orderItems(merged, order, live, keyOf);
  }
  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || done.has(key)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) deletions.push([key.slice(DELETE_FROM_PRIMITIVE_LIST.length), value]);
    else if (value === null) delete original[key];
    else original[key] = mergeValue(original[key], value, propertySchema(schema, key), join(path, key));
  }
  for (const [field, values] of deletions) {
    if (!Array.isArray(values)) throw new InvalidError(`${join(path, field)}: ${DELETE_FROM_PRIMITIVE_LIST}${field} must be a list`);
    const list = original[field];
    if (Array.isArray(list)) original[field] = list.filter((item) => !values.includes(item));
  }
  return original;
}

function mergeValue(original: unknown, patch: unknown, schema: JsonSchema | undefined, path: string): unknown {
  if (isObject(patch)) return mergeMap(isObject(original) ? original : {}, patch, schema, path);
  if (Array.isArray(patch)) {
    const meta = patchMetaOf(schema);
    if (!meta.merge) return structuredClone(patch);
    const base = Array.isArray(original) ? original : [];
    return meta.mergeKey === undefined ? mergePrimitives(base, patch, path) : mergeMaps(base, patch, schema?.items, meta.mergeKey, path);
  }
  return patch;
}

/** A merged list of strings or numbers: the union, ordered like any merged list. */
function mergePrimitives(original: unknown[], patch: unknown[], path: string): unknown[] {
  for (const item of patch) {
    if (item !== null && typeof item === 'object') {
      throw new InvalidError(`${path}: a list merged by value holds only strings, numbers and booleans, not ${JSON.stringify(item)}`);
    }
  }
  const merged = [...new Set([...original, ...patch])];
  return orderItems(merged, patch, original, (item) => item);
}

function mergeMaps(original: unknown[], patch: unknown[], itemSchema: JsonSchema | undefined, mergeKey: string, path: string): unknown[] {
  const keyOf = keyFunction(mergeKey, path);
  let base = [...original];
  let replace = false;
  const plain: JsonObject[] = [];
  for (const [index, item] of patch.entries()) {
    const itemPath = `${path}[${String(index)}]`;
    if (!isObject(item)) throw new InvalidError(`${itemPath}: items of a list merged by ${mergeKey} must be maps`);
    const directive = item[DIRECTIVE];
    if (directive === undefined) plain.push(item);
    else if (directive === 'replace') replace = true;
    else if (directive === 'delete') {
      const key = keyOf(item, itemPath);
      base = base.filter((existing) => !isObject(existing) || existing[mergeKey] !== key);
    } else {
      throw new InvalidError(`${itemPath}: $patch ${JSON.stringify(directive)} is not allowed on a list item (use delete, or replace for the whole list)`);
    }
  }
  if (replace) return plain.map((item, index) => mergeMap({}, item, itemSchema, `${path}[${String(index)}]`));
  const live = [...base];
  for (const [index, item] of plain.entries()) {
    const itemPath = `${path}[${String(index)}]`;
    const key = keyOf(item, itemPath);
    const at = base.findIndex((existing) => isObject(existing) && existing[mergeKey] === key);
    const existing = at >= 0 ? base[at] : undefined;
    const merged = mergeMap(isObject(existing) ? existing : {}, item, itemSchema, itemPath);
    if (at >= 0) base[at] = merged;
    else base.push(merged);
  }
  return orderItems(base, plain, live, keyOf);
}

type KeyOf = (item: unknown, where?: string) => unknown;

/** The identity of a list item: its merge key's value for maps, the value itself for primitives. */
function keyFunction(mergeKey: string | undefined, path: string): KeyOf {
  if (mergeKey === undefined) return (item) => item;
  return (item, at = path) => {
    const key = isObject(item) ? item[mergeKey] : undefined;
    if (key === undefined || key === null) throw new InvalidError(`${at}: has no ${mergeKey}, the key this list is merged by; add ${mergeKey}`);
    return key;
  };
}

/**
 * Orders a merged list: the items `order` names, in its order; the others
 * (only the original had them) in their original order; an item of the
 * second kind comes before one of the first only when both were in `live`
 * and it was the earlier there.
 */
function orderItems(merged: unknown[], order: unknown[], live: unknown[], keyOf: KeyOf): unknown[] {
  const wanted = order.map((item) => keyOf(item));
  const liveKeys = live.map((item) => keyOf(item));
  const rank = (keys: unknown[], item: unknown): number => keys.indexOf(keyOf(item));
  const byRank = (keys: unknown[]) => (a: unknown, b: unknown): number => rank(keys, a) - rank(keys, b);
  const named = merged.filter((item) => rank(wanted, item) >= 0).sort(byRank(wanted));
  const serverOnly = merged.filter((item) => rank(wanted, item) < 0).sort(byRank(liveKeys));
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    let takeLeft = j >= named.length;
    if (!takeLeft && i < serverOnly.length) {
      const left = rank(liveKeys, serverOnly[i]);
      const right = rank(liveKeys, named[j]);
      takeLeft = left >= 0 && right >= 0 && left < right;
    }
    result.push(takeLeft ? serverOnly[i++] : named[j++]);
  }
  return result;
}

/** The patch's own items (directives aside) must appear in $setElementOrder, in the same order. */
function checkAgreesWithOrder(patch: unknown[], order: unknown[], keyOf: KeyOf, path: string): void {
  const wanted = order.map((item) => keyOf(item, `${path} ($setElementOrder)`));
  let at = 0;
  for (const item of patch) {
    if (isObject(item) && DIRECTIVE in item) continue;
    const key = keyOf(item);
    while (at < wanted.length && wanted[at] !== key) at++;
    if (at === wanted.length) {
      throw new InvalidError(`${path}: the patch's items are not all in $setElementOrder/${path.split('.').pop() ?? path}, or not in its order`);
    }
    at++;
  }
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
