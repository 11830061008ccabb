// What a Kubernetes REST request names, read from its path and method as
// kube-apiserver's RequestInfoFactory reads it: the group and version, the
// namespace, the resource, the object and its subresource, and the verb the
// authorizer judges (GET of a collection is list, or watch with ?watch=true;
// DELETE of a collection is deletecollection).
import { KINDS, type KindInfo } from '@skiff/api';
import type { RequestAttributes, Verb } from '../auth/index.js';

export interface ResourceRequest {
  readonly info: KindInfo;
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Absent for cluster-scoped kinds and for requests across every namespace. */
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

export type ParsedPath =
  | { readonly type: 'resource'; readonly request: ResourceRequest }
  /** A group-version that exists, with a resource it does not have. */
  | { readonly type: 'unknown-resource'; readonly group: string; readonly version: string; readonly resource: string }
  | { readonly type: 'other' };

/** Subresources of a namespace itself (`/api/v1/namespaces/NAME/status`), not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function groupOf(info: KindInfo): string {
  const slash = info.apiVersion.indexOf('/');
  return slash < 0 ? '' : info.apiVersion.slice(0, slash);
}

export function versionOf(info: KindInfo): string {
  return info.apiVersion.slice(info.apiVersion.indexOf('/') + 1);
}

/** Skiff's kinds by "group/version/plural". */
const BY_RESOURCE = new Map(KINDS.map((info) => [`${groupOf(info)}/${versionOf(info)}/${info.plural}`, info]));
const GROUP_VERSIONS = new Set(KINDS.map((info) => `${groupOf(info)}/${versionOf(info)}`));

/** `/api/v1/namespaces/shop/pods/web/log` → pods "web" in "shop", subresource log. */
export function parseResourcePath(pathname: string): ParsedPath {
  const parts = pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    rest = parts.slice(2);
  } else {
    return { type: 'other' };
  }
  const [version = '', ...segments] = rest;
  if (!GROUP_VERSIONS.has(`${group}/${version}`) || segments.length === 0) return { type: 'other' };
  let namespace: string | undefined;
  if (segments[0] === 'namespaces' && segments.length > 1) {
    namespace = segments[1];
    if (segments.length > 2 && !NAMESPACE_SUBRESOURCES.has(segments[2] ?? '')) segments.splice(0, 2);
  }
  const [resource = '', name, subresource, ...extra] = segments;
  const info = BY_RESOURCE.get(`${group}/${version}/${resource}`);
  if (!info || extra.length > 0) return { type: 'unknown-resource', group, version, resource };
  return {
    type: 'resource',
    request: {
      info,
      group,
      version,
      ...(info.namespaced && namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
    },
  };
}

/** The authorizer's verb for an HTTP method on a resource path. */
export function verbOf(method: string, request: ResourceRequest, watch: boolean): Verb | undefined {
  const named = request.name !== undefined;
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/** `?watch=true` (or 1): Kubernetes' spelling of a watch on a collection or, with a fieldSelector, one object. */
export function isWatch(query: URLSearchParams): boolean {
  const watch = query.get('watch');
  return watch === 'true' || watch === '1';
}

export function requestAttributes(verb: Verb, request: ResourceRequest): RequestAttributes {
  return {
    verb,
    apiGroup: request.group,
    resource: request.info.plural,
    ...(request.subresource !== undefined ? { subresource: request.subresource } : {}),
    ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
    ...(request.name !== undefined ? { name: request.name } : {}),
  };
}

/** One resource request as the handlers see it: what it names, its verb and query, its decoded body. */
export interface ResourceCall {
  readonly request: ResourceRequest;
  readonly verb: Verb;
  readonly query: URLSearchParams;
  readonly accept: string | undefined;
  /** The media type of the body (for PATCH, which engine). */
  readonly contentType: string;
  readonly body: unknown;
  /** Throws PermissionDeniedError. */
  authorize(attributes: RequestAttributes): void;
}
