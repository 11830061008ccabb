// Between etcd's wire shapes and the Store's: key-values, and the key range a
// prefix stands for.
import type { IKeyValue } from 'etcd3';
import type { KeyValue } from './store.js';

export function toKeyValue(kv: IKeyValue): KeyValue {
  const lease = kv.lease && kv.lease !== '0' ? kv.lease : undefined;
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    ...(lease !== undefined ? { lease } : {}),
  };
}

/** [start, end) covering every key that starts with `prefix`, as etcd expects. */
export function prefixRange(prefix: string): { start: Buffer; end: Buffer } {
  const start = Buffer.from(prefix);
  // "\0" as both ends means "every key" to etcd.
  if (start.length === 0) return { start: Buffer.from([0]), end: Buffer.from([0]) };
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0xff;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return { start, end: end.subarray(0, i + 1) };
    }
  }
  // All 0xff: no upper bound, i.e. to the end of the keyspace.
  return { start, end: Buffer.from([0]) };
}
