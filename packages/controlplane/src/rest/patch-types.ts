// PATCH bodies by Content-Type: RFC 6902 JSON Patch (fast-json-patch) and RFC
// 7386/7396 JSON Merge Patch (json-merge-patch). Strategic merge patch and
// server-side apply are engines plugged in by name (PatchEngines): until one
// is given, their content types are answered 415 Unsupported Media Type.
import jsonPatch from 'fast-json-patch';
import jsonMergePatch from 'json-merge-patch';
import { InvalidError, SkiffError, type KindInfo } from '@skiff/api';
import { status as grpcStatus } from '@grpc/grpc-js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** Applies a patch (already parsed from its body) to the current object; returns the new object, never mutating `current`. */
export type PatchEngine = (current: Record<string, unknown>, patch: unknown, info: KindInfo) => Record<string, unknown>;

/** Content type → engine. */
export type PatchEngines = ReadonlyMap<string, PatchEngine>;

/** A Content-Type no engine handles (415). */
export class UnsupportedMediaTypeError extends SkiffError {
  // status-errors.ts answers it 415; UNIMPLEMENTED is the nearest gRPC code.
  readonly code = grpcStatus.UNIMPLEMENTED;
}

const applyJsonPatch: PatchEngine = (current, patch) => {
  if (!Array.isArray(patch)) throw new InvalidError('a JSON patch (application/json-patch+json) must be a list of operations ([{"op": "replace", "path": "/spec/replicas", "value": 3}])');
  try {
    // validate: each operation is checked before any is applied; mutate: false copies `current` first.
    return jsonPatch.applyPatch(current, patch as jsonPatch.Operation[], true, false).newDocument;
  } catch (error) {
    if (error instanceof jsonPatch.JsonPatchError) {
      const index = error.index === undefined ? '' : ` (operation ${error.index})`;
      throw new InvalidError(`the JSON patch cannot be applied${index}: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
};

const applyMergePatch: PatchEngine = (current, patch) => {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new InvalidError('a merge patch (application/merge-patch+json) must be a JSON object ({"spec": {"replicas": 3}})');
  }
  const merged: unknown = jsonMergePatch.apply(structuredClone(current), patch);
  return merged as Record<string, unknown>;
};

/** The engines Skiff has today; pass more (strategic merge) to the REST server to extend them. */
export const BUILTIN_PATCH_ENGINES: PatchEngines = new Map([
  [JSON_PATCH, applyJsonPatch],
  [MERGE_PATCH, applyMergePatch],
]);

export function patchEngineFor(engines: PatchEngines, mediaType: string): PatchEngine {
  const engine = engines.get(mediaType);
  if (engine) return engine;
  throw new UnsupportedMediaTypeError(
    `the patch type "${mediaType || '(none)'}" is not supported by this server; use one of ${[...engines.keys()].join(', ')}` +
      (mediaType === STRATEGIC_MERGE_PATCH ? ' (kubectl patch --type merge or --type json)' : ''),
  );
}
