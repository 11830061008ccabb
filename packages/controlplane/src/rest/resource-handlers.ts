// GET, LIST, POST, PUT, PATCH and DELETE of one resource path, through
// ApiService, so validation, defaulting and compare-and-swap are the same as
// ctl's. What a request means lives there; here only the decoding of the
// Kubernetes spelling (namespaces in the path, DeleteOptions, list envelopes).
import {
  AlreadyExistsError,
  APPLY_PATCH,
  ApplyConflictError,
  applyPatch,
  ConflictError,
  InvalidError,
  isRecord,
  MANIFEST_SCHEMAS,
  NotFoundError,
  serverSideApply,
  type ResourceObject,
} from '@skiff/api';
import type { Verb } from '../auth/index.js';
import type { ApiService } from '../api/api-service.js';
import { fieldsMatch, parseFieldSelector } from './field-selector.js';
import { requestAttributes, type ResourceCall, type ResourceRequest } from './request-info.js';
import { handleScale } from './scale-subresource.js';
import { deleteCollection } from './delete-collection.js';
import { deleteOptionsOf } from './delete-options.js';
import { includeObjectOf, toTable, wantsTable, type ColumnsOf, type ListMeta } from './tables.js';

export interface ResourceHandlerDeps {
  readonly api: ApiService;
  readonly columnsOf: ColumnsOf;
  readonly clock?: () => Date;
}

export interface Answer {
  readonly code: number;
  readonly body: unknown;
}

const SCALABLE = new Set(['Deployment', 'ReplicaSet']);

/** How often a PATCH is tried again when another writer won the race (the patch itself named no resourceVersion). */
const PATCH_ATTEMPTS = 5;

export async function handleResource(deps: ResourceHandlerDeps, call: ResourceCall): Promise<Answer> {
  const { request, verb } = call;
  if (request.subresource === 'scale' && SCALABLE.has(request.info.kind) && (verb === 'get' || verb === 'update' || verb === 'patch')) {
    call.authorize(requestAttributes(verb, request));
    return { code: 200, body: await handleScale(deps.api, { request, verb, contentType: call.contentType, body: call.body }) };
  }
  if (request.subresource !== undefined && request.subresource !== 'status') {
    throw new NotFoundError(`${request.info.plural}/${request.subresource} is not served by this API server`);
  }
  if (request.subresource === 'status' && verb !== 'get') {
    throw new InvalidError(`${request.info.plural}/status is read-only here: status is written by Skiff's controllers and agents`);
  }
  call.authorize(requestAttributes(verb, request));
  switch (verb) {
    case 'get': {
      const object = await deps.api.get(refOf(request));
      return { code: 200, body: maybeTable(deps, call, [object]) ?? object };
    }
    case 'list':
      return { code: 200, body: await list(deps, call) };
    case 'create':
      return { code: 201, body: await write(deps, call, 'create') };
    case 'update':
      return { code: 200, body: await write(deps, call, 'update') };
    case 'patch':
      return { code: 200, body: await patch(deps, call) };
    case 'delete':
      return { code: 200, body: deletedAnswer(call.request, await remove(deps, call)) };
    case 'deletecollection':
      return { code: 200, body: await deleteCollection(deps.api, call) };
    default:
      throw new InvalidError(`${verb} of ${request.info.plural} is not supported by this API server`);
  }
}

function refOf(request: ResourceRequest): { kind: string; namespace?: string; name: string } {
  return { kind: request.info.kind, ...(request.namespace !== undefined ? { namespace: request.namespace } : {}), name: request.name ?? '' };
}

function maybeTable(deps: ResourceHandlerDeps, call: ResourceCall, objects: readonly ResourceObject[], listMeta?: ListMeta): object | undefined {
  if (!wantsTable(call.accept)) return undefined;
  const now = (deps.clock ?? (() => new Date()))();
  return toTable(deps.columnsOf(call.request.info), objects, {
    include: includeObjectOf(call.query),
    now,
    ...(listMeta !== undefined ? { listMeta } : {}),
  });
}

/**
 * LIST, whole or in pages (`limit`, `continue`; api/list-pages.ts): the
 * selectors apply page by page, and a page that is not the last carries
 * metadata.continue (and remainingItemCount when nothing is filtered), in a
 * Table (kubectl get --chunk-size) as in a list.
 */
async function list(deps: ResourceHandlerDeps, call: ResourceCall): Promise<object> {
  const { request, query } = call;
  const fields = parseFieldSelector(query.get('fieldSelector'));
  const token = query.get('continue');
  const page = await deps.api.list({
    kind: request.info.kind,
    ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
    allNamespaces: request.namespace === undefined,
    labelSelector: query.get('labelSelector') ?? '',
    resourceVersion: query.get('resourceVersion') ?? '',
    ...limitOf(query.get('limit')),
    ...(token ? { continue: token } : {}),
    ...(fields.length > 0 ? { matches: (item: ResourceObject) => fieldsMatch(fields, item) } : {}),
  });
  const metadata: ListMeta = {
    resourceVersion: String(page.revision),
    ...(page.continue !== undefined ? { continue: page.continue } : {}),
    ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
  };
  return (
    maybeTable(deps, call, page.items, metadata) ?? {
      kind: `${request.info.kind}List`,
      apiVersion: request.info.apiVersion,
      metadata,
      items: page.items,
    }
  );
}

/** `limit`: a whole number; 0 or less (or none) means no limit, as in Kubernetes. */
function limitOf(text: string | null): { limit?: number } {
  if (text === null || text === '') return {};
  if (!/^-?\d{1,15}$/.test(text)) {
    throw new InvalidError(`limit: must be a whole number of objects per page, not "${text.length > 32 ? `${text.slice(0, 32)}…` : text}"`);
  }
  const limit = Number(text);
  return limit > 0 ? { limit } : {};
}

/** The body as an object of the request's kind, in the request's namespace (filled in when absent, refused when different). */
function objectOf(call: ResourceCall, body: unknown): Record<string, unknown> {
  const { request } = call;
  if (!isRecord(body)) throw new InvalidError(`the request body must be a ${request.info.kind} object`);
  const metadata = isRecord(body['metadata']) ? { ...body['metadata'] } : {};
  if (request.namespace !== undefined) {
    if (metadata['namespace'] === undefined || metadata['namespace'] === '') metadata['namespace'] = request.namespace;
    else if (metadata['namespace'] !== request.namespace) {
      throw new InvalidError(`metadata.namespace: "${String(metadata['namespace'])}" does not match the namespace of the request URL ("${request.namespace}")`);
    }
  }
  if (request.name !== undefined) {
    if (metadata['name'] === undefined || metadata['name'] === '') metadata['name'] = request.name;
    else if (metadata['name'] !== request.name) {
      throw new InvalidError(`metadata.name: "${String(metadata['name'])}" does not match the name in the request URL ("${request.name}")`);
    }
  }
  return { apiVersion: request.info.apiVersion, kind: request.info.kind, ...body, metadata };
}

/** POST creates (AlreadyExists when present); PUT replaces (NotFound when absent). */
async function write(deps: ResourceHandlerDeps, call: ResourceCall, verb: 'create' | 'update'): Promise<ResourceObject> {
  const object = objectOf(call, call.body);
  return applyAs(deps, call, object, verb);
}

async function applyAs(deps: ResourceHandlerDeps, call: ResourceCall, object: Record<string, unknown>, verb: Verb): Promise<ResourceObject> {
  const { request, query } = call;
  // A REST write carries the whole object, as Kubernetes' PUT: finalizers it leaves out are taken off
  // (ctl apply's manifests, which rarely name them, keep the stored ones: api/apply-plan.ts).
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const whole = metadata['finalizers'] === undefined ? { ...object, metadata: { ...metadata, finalizers: [] } } : object;
  const result = await deps.api.apply(JSON.stringify(whole), {
    strict: query.get('fieldValidation') === 'Strict',
    dryRun: query.get('dryRun') === 'All',
    // Called once the stored object was read: the existence check Kubernetes' create and update make.
    authorize: (found, info, namespace, name) => {
      const what = `${info.plural} "${name}"${namespace ? ` in namespace "${namespace}"` : ''}`;
      if (verb === 'create' && found === 'update') throw new AlreadyExistsError(`${what} already exists`);
      if (verb !== 'create' && found === 'create') throw new NotFoundError(`${what} not found`);
      call.authorize(requestAttributes(verb, { ...request, ...(namespace !== undefined && info.namespaced ? { namespace } : {}), name }));
    },
  });
  return result.object;
}

async function patch(deps: ResourceHandlerDeps, call: ResourceCall): Promise<ResourceObject> {
  // call.contentType is the bare media type, lower case (rest-server's mediaTypeOf).
  if (call.contentType === APPLY_PATCH) return serverSideApplyPatch(deps, call);
  for (let attempt = 1; ; attempt++) {
    const current = (await deps.api.get(refOf(call.request))) as unknown as Record<string, unknown>;
    // JSON patch, merge patch and strategic merge patch (by the kind's schema), @skiff/api's; others are 415.
    const patched = applyPatch(call.contentType, current, call.body, call.request.info.kind);
    const metadata = isRecord(patched['metadata']) ? patched['metadata'] : {};
    // A patch that names a resourceVersion asked for exactly that one; otherwise it applies to what was read, by compare-and-swap.
    const named = metadata['resourceVersion'] !== (current['metadata'] as Record<string, unknown>)['resourceVersion'];
    const object = objectOf(call, { ...patched, metadata: { ...metadata, resourceVersion: metadata['resourceVersion'] ?? (current['metadata'] as Record<string, unknown>)['resourceVersion'] } });
    try {
      return await applyAs(deps, call, object, 'patch');
    } catch (error) {
      if (!(error instanceof ConflictError) || named || attempt >= PATCH_ATTEMPTS) throw error;
    }
  }
}

/**
 * Server-side apply (@skiff/api's serverSideApply): creates the object when it
 * is missing, merges into it otherwise; either way through ApiService, by
 * compare-and-swap, tried again when another writer won the race.
 */
async function serverSideApplyPatch(deps: ResourceHandlerDeps, call: ResourceCall): Promise<ResourceObject> {
  const { request, query } = call;
  const manager = query.get('fieldManager') ?? '';
  const force = query.get('force') === 'true';
  const applied = objectOf(call, call.body);
  if (applied['kind'] !== request.info.kind || applied['apiVersion'] !== request.info.apiVersion) {
    throw new InvalidError(
      `the applied configuration is a ${String(applied['kind'])} of ${String(applied['apiVersion'])}, but the URL names ${request.info.kind} of ${request.info.apiVersion}`,
    );
  }
  const now = (deps.clock ?? (() => new Date()))();
  for (let attempt = 1; ; attempt++) {
    const current = await deps.api.get(refOf(request)).then(
      (object) => object as unknown as Record<string, unknown>,
      (error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      },
    );
    const object = serverSideApply({ current, applied, manager, force, schema: MANIFEST_SCHEMAS[request.info.kind], now });
    const metadata = object['metadata'] as Record<string, unknown>;
    if (current) metadata['resourceVersion'] = (current['metadata'] as Record<string, unknown>)['resourceVersion'];
    else delete metadata['resourceVersion'];
    try {
      return await applyAs(deps, call, object, current ? 'patch' : 'create');
    } catch (error) {
      const lostRace = (error instanceof ConflictError && !(error instanceof ApplyConflictError)) || error instanceof AlreadyExistsError;
      if (!lostRace || attempt >= PATCH_ATTEMPTS) throw error;
    }
  }
}

/**
 * What a DELETE answers, as kube-apiserver's registry does: the object while
 * its deletion is pending (a deletionTimestamp: finalizers, a pod's grace
 * period), and always for pods and namespaces; otherwise, the object being
 * gone, a Success Status naming it (kubectl waits on `details.uid`).
 */
function deletedAnswer(request: ResourceRequest, object: ResourceObject): object {
  const kind = request.info.kind;
  if (object.metadata.deletionTimestamp !== undefined || kind === 'Pod' || kind === 'Namespace') return object;
  const group = request.info.apiVersion.includes('/') ? request.info.apiVersion.slice(0, request.info.apiVersion.indexOf('/')) : '';
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: object.metadata.name, group, kind: request.info.plural, ...(object.metadata.uid !== undefined ? { uid: object.metadata.uid } : {}) },
  };
}

/** DELETE of one object, with DeleteOptions (delete-options.ts). */
async function remove(deps: ResourceHandlerDeps, call: ResourceCall): Promise<ResourceObject> {
  const { options, preconditions } = deleteOptionsOf(call.body, call.query);
  const ref = refOf(call.request);
  if (preconditions.uid !== undefined) {
    const current = await deps.api.get(ref);
    if (current.metadata.uid !== preconditions.uid) {
      throw new ConflictError(`Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
    }
  }
  return deps.api.delete(ref, preconditions.resourceVersion, options);
}
