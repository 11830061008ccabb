// LIST with limit and continue, as kube-apiserver's etcd3 store (GetList)
// answers it. A page holds at most `limit` objects that pass the selectors,
// read from the store in key order at one revision: the first page's, named
// by every continue token after it. When selectors drop objects the store is
// read on, in reads twice as large each time (up to 10,000 keys), until the
// page is full or the keys run out: a page is short, or empty, only when it
// is the last. The token starts the next page just after the last key looked
// at. remainingItemCount is given only when nothing is filtered (the store
// counts keys, selectors or not), as Kubernetes does. The revision, as in
// Kubernetes' table of list semantics: a continue token's; for a first page
// resourceVersion "" the latest, "0" whatever the watch cache holds, "N"
// exactly N (410 Expired once compacted).
import { CompactedError, InvalidError, type KindInfo, type ResourceObject } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import { ContinueExpiredError, decodeContinue, encodeContinue } from './continue-token.js';

/** Kubernetes' maxLimit: the most keys one store read takes while filling a filtered page. */
const MAX_READ = 10_000;

export interface PageRequest {
  /** At most this many objects; undefined: all of them (the rest, after a continue token). */
  readonly limit: number | undefined;
  readonly continue: string | undefined;
  /** The request's resourceVersion (store.ts ReadOptions), for a first page. */
  readonly minRevision: number | undefined;
  readonly matches: (object: ResourceObject) => boolean;
  /** True when a selector may drop objects: no remainingItemCount then. */
  readonly filtered: boolean;
}

export interface ListPage {
  readonly items: ResourceObject[];
  readonly revision: number;
  /** The token of the next page, when more objects may follow. */
  readonly continue?: string;
  /** How many objects follow this page, when known. */
  readonly remainingItemCount?: number;
}

export async function readListPage(objects: ObjectStore, info: KindInfo, namespace: string | undefined, request: PageRequest): Promise<ListPage> {
  const token = request.continue ? decodeContinue(request.continue) : undefined;
  if (token && request.minRevision !== undefined && request.minRevision !== 0) {
    throw new InvalidError('resourceVersion: must not be given with continue: the token names the revision every page is read at');
  }
  const { limit } = request;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) throw new InvalidError(`limit: must be a positive whole number of objects, not ${limit}`);
  // Kubernetes' "Exact" for a first page that names a resourceVersion N (not "0"): that revision itself.
  const exact = !token && request.minRevision !== undefined && request.minRevision > 0 ? request.minRevision : undefined;
  let revision = token && token.revision > 0 ? token.revision : exact;
  let start = token?.start;
  let size = limit;
  const items: ResourceObject[] = [];
  let last: string | undefined;
  let more = false;
  let remaining = 0;
  for (;;) {
    const freshness = revision !== undefined ? { revision } : request.minRevision !== undefined && !token ? { minRevision: request.minRevision } : {};
    const page = await objects
      .listPage(info, namespace, { ...freshness, ...(size !== undefined ? { limit: size } : {}), ...(start !== undefined ? { start } : {}) })
      .catch((error: unknown) => {
        if (token && error instanceof CompactedError) {
          throw new ContinueExpiredError(encodeContinue({ revision: -1, start: token.start }), error.compactRevision);
        }
        throw error;
      });
    revision ??= page.revision;
    more = page.remaining > 0;
    let examined = 0;
    for (const entry of page.entries) {
      if (limit !== undefined && items.length >= limit) {
        more = true;
        break;
      }
      examined++;
      last = entry.key;
      if (request.matches(entry.object)) items.push(entry.object);
    }
    remaining = page.remaining + page.entries.length - examined;
    if (!more || limit === undefined || size === undefined || last === undefined || items.length >= limit) break;
    size = Math.max(size, Math.min(size * 2, MAX_READ));
    start = `${last}\0`;
  }
  if (!more || limit === undefined || last === undefined) return { items, revision };
  return {
    items,
    revision,
    continue: encodeContinue({ revision, start: `${last}\0` }),
    ...(request.filtered ? {} : { remainingItemCount: remaining }),
  };
}
