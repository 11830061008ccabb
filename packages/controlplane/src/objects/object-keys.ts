// Storage keys: /skiff/<plural>/<namespace>/<name>; cluster-scoped kinds omit the namespace.
import type { KindInfo } from '@skiff/api';

const ROOT = '/skiff';

export function objectKey(info: KindInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${ROOT}/${info.plural}/${namespace ?? 'default'}/${name}` : `${ROOT}/${info.plural}/${name}`;
}

/** Prefix of every object of a kind, or of a kind within one namespace. */
export function kindPrefix(info: KindInfo, namespace?: string): string {
  return info.namespaced && namespace !== undefined ? `${ROOT}/${info.plural}/${namespace}/` : `${ROOT}/${info.plural}/`;
}
