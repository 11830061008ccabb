// The one entry for PATCH bodies: picks the patch semantics by content type.
// RFC 6902 JSON Patch comes from fast-json-patch, RFC 7386 merge patch from
// json-merge-patch, strategic merge patch from strategic-merge-patch.ts.
import { status } from '@grpc/grpc-js';
import jsonPatch from 'fast-json-patch';
import { createRequire } from 'node:module';
import { InvalidError, SkiffError } from '../errors.js';
import type { KindName } from '../kinds.js';
import { MANIFEST_SCHEMAS } from '../schema/index.js';
import { APPLY_PATCH } from './server-side-apply.js';
import { strategicMergePatch } from './strategic-merge-patch.js';

// json-merge-patch is CommonJS without types: its one function Skiff uses, typed here.
const { apply: applyMergePatch } = createRequire(import.meta.url)('json-merge-patch') as {
  /** RFC 7386: applies `patch` to `target`, changing `target` in place, and returns the result. */
  apply(target: unknown, patch: unknown): unknown;
};

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const PATCH_CONTENT_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH] as const;
export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

/** A PATCH whose Content-Type is none of PATCH_CONTENT_TYPES (nor server-side apply's, which the REST door handles before): 415. */
export class UnsupportedPatchTypeError extends SkiffError {
  readonly code = status.UNIMPLEMENTED;
  constructor(readonly contentType: string) {
    super(`the server does not support patches of type ${JSON.stringify(contentType)}: use one of ${[...PATCH_CONTENT_TYPES, APPLY_PATCH].join(', ')}`);
  }
}

/** The media type without parameters, lower case: `application/merge-patch+json; charset=utf-8` → `application/merge-patch+json`. */
export function patchContentType(contentType: string): PatchContentType {
  const bare = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const known = PATCH_CONTENT_TYPES.find((type) => type === bare);
  if (!known) throw new UnsupportedPatchTypeError(bare);
  return known;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Applies a parsed PATCH body to `original` (left untouched) and returns the
 * patched object, for the caller to validate and store. `kind` picks the
 * schema a strategic merge patch follows (undefined: lists are replaced).
 * Throws UnsupportedPatchTypeError for an unknown content type and
 * InvalidError for a malformed patch or one whose result is not an object.
 */
export function applyPatch(contentType: string, original: unknown, patch: unknown, kind: KindName | undefined): Record<string, unknown> {
  const type = patchContentType(contentType);
  let result: unknown;
  switch (type) {
    case STRATEGIC_MERGE_PATCH:
      return strategicMergePatch(original, patch, kind === undefined ? undefined : MANIFEST_SCHEMAS[kind]);
    case MERGE_PATCH:
      if (!isObject(patch)) throw new InvalidError('a merge patch must be a JSON object');
      result = applyMergePatch(structuredClone(original), patch);
      break;
    case JSON_PATCH:
      result = applyJsonPatch(original, patch);
      break;
  }
  if (!isObject(result)) throw new InvalidError('the patch must leave an object (it replaced the whole document with something else)');
  return result;
}

function applyJsonPatch(original: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new InvalidError('a JSON patch must be a list of operations like {"op": "replace", "path": "/spec/replicas", "value": 3}');
  try {
    // validateOperation checks each op's shape; mutateDocument false copies; banPrototypeModifications guards __proto__.
    return jsonPatch.applyPatch(original, patch as jsonPatch.Operation[], true, false, true).newDocument;
  } catch (error) {
    if (error instanceof jsonPatch.JsonPatchError) {
      const index = typeof error.index === 'number' ? `operation ${String(error.index)}` : 'an operation';
      throw new InvalidError(`the JSON patch's ${index} failed: ${firstLine(error.message)}`);
    }
    throw error;
  }
}

/** fast-json-patch appends the operation and document as JSON to its messages; documents may hold Secrets. */
function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
