// Objects are stored as JSON without their resourceVersion: the version is
// etcd's mod revision, filled in on the way out so it can never go stale.
// Secrets, and only they, are encrypted when a SecretTransformer is given
// (encrypted-secret-codec.ts); any encrypted value is decrypted on the way out.
import { FailedPreconditionError, InvalidError, type KindInfo, type ResourceObject } from '@skiff/api';
import type { KeyValue } from '../store/store.js';
import { isEncryptedValue, type SecretTransformer } from './encrypted-secret-codec.js';
import { describeStoredObject } from './object-keys.js';

export class ObjectCodec {
  constructor(private readonly secrets?: SecretTransformer) {}

  /** The value to store for `object` at `key`. */
  encode(info: KindInfo, key: string, object: ResourceObject): string {
    const { resourceVersion: _dropped, ...metadata } = object.metadata;
    const json = JSON.stringify({ ...object, metadata });
    return info.kind === 'Secret' && this.secrets ? this.secrets.toStorage(json, key) : json;
  }

  decode<T extends ResourceObject = ResourceObject>(info: KindInfo, kv: KeyValue): T {
    let object: T;
    try {
      object = JSON.parse(this.plaintextOf(info, kv)) as T;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // JSON.parse's message quotes the text around the fault, which may be a Secret's value.
      throw new FailedPreconditionError(`${describeStoredObject(info, kv.key)}: its stored value is not valid JSON; delete and re-create it`);
    }
    object.metadata.resourceVersion = String(kv.modRevision);
    return object;
  }

  /** The JSON stored at kv: decrypted when it is encrypted. */
  plaintextOf(info: KindInfo, kv: KeyValue): string {
    if (!isEncryptedValue(kv.value)) return kv.value;
    const what = describeStoredObject(info, kv.key);
    if (!this.secrets) {
      throw new FailedPreconditionError(`${what} is encrypted at rest, but this control plane was started without its secrets encryption key file`);
    }
    try {
      return this.secrets.fromStorage(kv.value, kv.key);
    } catch (error) {
      if (error instanceof FailedPreconditionError) throw new FailedPreconditionError(`${what}: ${error.message}`);
      throw error;
    }
  }
}

/** Parses a resourceVersion given by a client; undefined when empty. */
export function parseResourceVersion(text: string | undefined, field = 'resourceVersion'): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    throw new InvalidError(`${field}: must be a resourceVersion as returned by the server (digits), not "${text.length > 64 ? `${text.slice(0, 64)}…` : text}"`);
  }
  return Number(text);
}
