// What each API call does, in the authorizer's terms (the mapping from a
// Skiff kind to Kubernetes' apiGroup and plural resource).
import type { KindInfo } from '@skiff/api';
import type { RequestAttributes, Verb } from '../auth/index.js';

export function apiGroupOf(info: KindInfo): string {
  const slash = info.apiVersion.indexOf('/');
  return slash < 0 ? '' : info.apiVersion.slice(0, slash);
}

export function attributesOf(
  info: KindInfo,
  verb: Verb,
  where: { readonly namespace?: string | undefined; readonly name?: string | undefined; readonly subresource?: string } = {},
): RequestAttributes {
  return {
    verb,
    apiGroup: apiGroupOf(info),
    resource: info.plural,
    ...(where.subresource ? { subresource: where.subresource } : {}),
    ...(info.namespaced && where.namespace ? { namespace: where.namespace } : {}),
    ...(where.name ? { name: where.name } : {}),
  };
}
