// The OpenAPI v3 documents Kubernetes serves at /openapi/v3, generated from
// Skiff's JSON Schemas: an index naming one document per group-version, and
// the documents, with components named as Kubernetes names them
// (io.k8s.api.core.v1.Pod), x-kubernetes-group-version-kind, the patch
// annotations, and paths whose write operations declare `fieldValidation`.
// kubectl reads them to decide that the server validates fields itself
// (`--validate=strict` then sends fieldValidation=Strict instead of
// validating client-side against /openapi/v2), for strategic-merge-patch
// metadata in client-side apply, and for `kubectl explain`.
import { createHash } from 'node:crypto';
import { KINDS, type KindInfo } from '../kinds.js';
import { MANIFEST_SCHEMAS } from '../schema/index.js';
import { objectMetaSchema } from '../schema/object-meta.js';
import { OBJECT_META_REF, type OpenApiSchema, toOpenApiSchema } from './openapi-schema.js';

export interface OpenApiIndex {
  readonly paths: Readonly<Record<string, { readonly serverRelativeURL: string }>>;
}

export type OpenApiDocument = Record<string, unknown>;

export interface OpenApiV3 {
  /** The body of GET /openapi/v3. */
  readonly index: OpenApiIndex;
  /** GET /openapi/v3/<key> for each key of index.paths ("api/v1", "apis/apps/v1"), hash query ignored. */
  readonly documents: ReadonlyMap<string, OpenApiDocument>;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

interface GroupVersion {
  readonly group: string;
  readonly version: string;
}

function groupVersion(apiVersion: string): GroupVersion {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** "api/v1", "apis/apps/v1": the index key and URL prefix of a group-version. */
export function groupVersionPath(apiVersion: string): string {
  const { group, version } = groupVersion(apiVersion);
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** Kubernetes' definition name: io.k8s.api.core.v1.Pod, io.k8s.api.rbac.v1.Role (the group's first label). */
export function definitionName(info: KindInfo): string {
  const { group, version } = groupVersion(info.apiVersion);
  const short = group === '' ? 'core' : (group.split('.')[0] ?? group);
  return `io.k8s.api.${short}.${version}.${info.kind}`;
}

const ref = (name: string): OpenApiSchema => ({ $ref: `#/components/schemas/${name}` });

function kindSchema(info: KindInfo): OpenApiSchema {
  const { group, version } = groupVersion(info.apiVersion);
  const schema = MANIFEST_SCHEMAS[info.kind];
  // Kinds Skiff writes itself (Node, Lease, EndpointSlice) have no manifest schema: only their envelope is described.
  const body = schema
    ? toOpenApiSchema(schema, { metadataRef: true })
    : {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { allOf: [{ $ref: OBJECT_META_REF }], default: {} },
        },
        'x-kubernetes-preserve-unknown-fields': true,
      };
  const { title: _, ...rest } = body;
  return {
    description: `${info.kind} (${info.apiVersion}), as Skiff accepts it.`,
    ...rest,
    'x-kubernetes-group-version-kind': [{ group, kind: info.kind, version }],
  };
}

function listSchema(info: KindInfo): OpenApiSchema {
  const { group, version } = groupVersion(info.apiVersion);
  return {
    description: `A list of ${info.kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      items: { type: 'array', items: { allOf: [ref(definitionName(info))], default: {} } },
      metadata: { allOf: [ref(`${META}.ListMeta`)], default: {} },
    },
    'x-kubernetes-group-version-kind': [{ group, kind: `${info.kind}List`, version }],
  };
}

const queryParameter = (name: string, description: string, type = 'string'): OpenApiSchema => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const WRITE_PARAMETERS = [
  queryParameter('dryRun', 'When present, indicates that modifications should not be persisted (All).'),
  queryParameter('fieldManager', 'A name associated with the actor or entity that is making these changes.'),
  queryParameter(
    'fieldValidation',
    'How the server treats unknown and duplicate fields: Ignore, Warn or Strict (refuse the request, naming the fields).',
  ),
];

const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function json(schema: OpenApiSchema): OpenApiSchema {
  return { 'application/json': { schema }, 'application/yaml': { schema } };
}

function operation(info: KindInfo, action: string, verb: string, extra: OpenApiSchema): OpenApiSchema {
  const { group, version } = groupVersion(info.apiVersion);
  const scope = info.namespaced ? 'Namespaced' : '';
  const groupWord = (group === '' ? 'core' : (group.split('.')[0] ?? group)).replace(/^./u, (c) => c.toUpperCase());
  const versionWord = version.replace(/^./u, (c) => c.toUpperCase());
  const listed = action === 'list' || action === 'deletecollection';
  return {
    description: `${action} ${listed ? info.plural : info.kind}`,
    operationId: `${verb}${groupWord}${versionWord}${scope}${info.kind}`,
    tags: [`${groupWord.toLowerCase()}_${version}`],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group, kind: info.kind, version },
    ...extra,
  };
}

function resourcePaths(info: KindInfo): Record<string, OpenApiSchema> {
  const prefix = `/${groupVersionPath(info.apiVersion)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.plural}`;
  const object = ref(definitionName(info));
  const ok = (schema: OpenApiSchema): OpenApiSchema => ({ '200': { description: 'OK', content: json(schema) } });
  const pathParameters = [
    ...(info.namespaced ? [{ name: 'namespace', in: 'path', required: true, description: 'object name and auth scope', schema: { type: 'string', uniqueItems: true } }] : []),
  ];
  const nameParameter = { name: 'name', in: 'path', required: true, description: `name of the ${info.kind}`, schema: { type: 'string', uniqueItems: true } };
  return {
    [prefix]: {
      parameters: pathParameters,
      get: operation(info, 'list', 'list', { responses: ok(ref(`${definitionName(info)}List`)) }),
      post: operation(info, 'post', 'create', {
        parameters: WRITE_PARAMETERS,
        requestBody: { content: json(object), required: true },
        responses: { ...ok(object), '201': { description: 'Created', content: json(object) } },
      }),
    },
    [`${prefix}/{name}`]: {
      parameters: [nameParameter, ...pathParameters],
      get: operation(info, 'get', 'read', { responses: ok(object) }),
      put: operation(info, 'put', 'replace', {
        parameters: WRITE_PARAMETERS,
        requestBody: { content: json(object), required: true },
        responses: ok(object),
      }),
      patch: operation(info, 'patch', 'patch', {
        parameters: [...WRITE_PARAMETERS, queryParameter('force', 'Force an apply: take the fields other managers own.', 'boolean')],
        requestBody: { content: Object.fromEntries(PATCH_TYPES.map((type) => [type, { schema: ref(`${META}.Patch`) }])), required: true },
        responses: ok(object),
      }),
      delete: operation(info, 'delete', 'delete', { responses: ok(ref(`${META}.Status`)) }),
    },
  };
}

/** Shared apimachinery types every document carries (Kubernetes repeats them per document too). */
function metaSchemas(): Record<string, OpenApiSchema> {
  return {
    [`${META}.ObjectMeta`]: {
      description: 'Standard object metadata: name, namespace, labels, annotations, and the fields the server sets.',
      ...toOpenApiSchema({ ...objectMetaSchema('dns1123-subdomain'), required: [] }),
    },
    [`${META}.ListMeta`]: {
      type: 'object',
      properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' }, remainingItemCount: { type: 'integer', format: 'int64' } },
    },
    [`${META}.Patch`]: { description: 'A patch body, in the request content type.', type: 'object' },
    [`${META}.Status`]: {
      description: 'The result of an operation that returns no object.',
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        status: { type: 'string' },
        message: { type: 'string' },
        reason: { type: 'string' },
        code: { type: 'integer', format: 'int32' },
        details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
  };
}

function document(kinds: readonly KindInfo[]): OpenApiDocument {
  const schemas: Record<string, OpenApiSchema> = metaSchemas();
  let paths: Record<string, OpenApiSchema> = {};
  for (const info of kinds) {
    schemas[definitionName(info)] = kindSchema(info);
    schemas[`${definitionName(info)}List`] = listSchema(info);
    paths = { ...paths, ...resourcePaths(info) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'unversioned' }, paths, components: { schemas } };
}

let cached: OpenApiV3 | undefined;

/**
 * The index and one document per group-version of `kinds` (all of Skiff's
 * by default). Documents are plain JSON objects; each index URL carries the
 * document's content hash, so kubectl's cache refreshes when a schema changes.
 */
export function openApiV3(kinds: readonly KindInfo[] = KINDS): OpenApiV3 {
  if (kinds === KINDS && cached) return cached;
  const byGroupVersion = new Map<string, KindInfo[]>();
  for (const info of kinds) {
    const key = groupVersionPath(info.apiVersion);
    byGroupVersion.set(key, [...(byGroupVersion.get(key) ?? []), info]);
  }
  const documents = new Map<string, OpenApiDocument>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, members] of byGroupVersion) {
    const doc = document(members);
    documents.set(key, doc);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  const result = { index: { paths }, documents };
  if (kinds === KINDS) cached = result;
  return result;
}
