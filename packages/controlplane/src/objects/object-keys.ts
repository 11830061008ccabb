// Storage keys: /skiff/<plural>/<namespace>/<name>; cluster-scoped kinds omit the namespace.
import type { KindInfo } from '@skiff/api';

const ROOT = '/skiff';
/** Every key the control plane writes is under this prefix (objects, allocations, the leader election). */
export const KEYSPACE = `${ROOT}/`;

export function objectKey(info: KindInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${ROOT}/${info.plural}/${namespace ?? 'default'}/${name}` : `${ROOT}/${info.plural}/${name}`;
}

/** Prefix of every object of a kind, or of a kind within one namespace. */
export function kindPrefix(info: KindInfo, namespace?: string): string {
  return info.namespaced && namespace !== undefined ? `${ROOT}/${info.plural}/${namespace}/` : `${ROOT}/${info.plural}/`;
}

/** kubectl's resource spelling in messages: `deployments.apps "web"`. */
export function describeObject(info: KindInfo, namespace: string | undefined, name: string): string {
  const slash = info.apiVersion.indexOf('/');
  const resource = slash > 0 ? `${info.plural}.${info.apiVersion.slice(0, slash)}` : info.plural;
  const where = info.namespaced ? ` in namespace "${namespace ?? 'default'}"` : '';
  return `${resource} "${name}"${where}`;
}

/** describeObject for the object stored at `key` (one of objectKey's). */
export function describeStoredObject(info: KindInfo, key: string): string {
  const rest = key.startsWith(kindPrefix(info)) ? key.slice(kindPrefix(info).length) : key;
  const slash = rest.indexOf('/');
  return info.namespaced && slash >= 0
    ? describeObject(info, rest.slice(0, slash), rest.slice(slash + 1))
    : describeObject(info, undefined, rest);
}
