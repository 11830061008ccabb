// Objects are stored as JSON without their resourceVersion: the version is
// etcd's mod revision, filled in on the way out so it can never go stale.
import { InvalidError, type ResourceObject } from '@skiff/api';
import type { KeyValue } from '../store/store.js';

export function encodeObject(object: ResourceObject): string {
  const { resourceVersion: _dropped, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

export function decodeObject<T extends ResourceObject = ResourceObject>(kv: KeyValue): T {
  const object = JSON.parse(kv.value) as T;
  object.metadata.resourceVersion = String(kv.modRevision);
  return object;
}

/** Parses a resourceVersion given by a client; undefined when empty. */
export function parseResourceVersion(text: string | undefined, field = 'resourceVersion'): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    throw new InvalidError(`${field}: must be a resourceVersion as returned by the server (digits), not "${text.length > 64 ? `${text.slice(0, 64)}…` : text}"`);
  }
  return Number(text);
}
