// `?watch=true`: the changes of a collection as JSON lines of {type, object},
// as kube-apiserver streams them. A watch that cannot go on (its
// resourceVersion was compacted away, the store failed) ends with an ERROR
// event carrying a Status (410 Expired after compaction), which client-go's
// reflectors answer by listing again. Bookmarks, timeoutSeconds and
// sendInitialEvents: watch-options.ts and watch-bookmarks.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { selectorOf } from '../api/api-service.js';
import { startWatchSession } from '../api/watch-session.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { MemoryStoreClock } from '../store/memory-clock.js';
import type { WatchHandle } from '../store/store.js';
import { fieldsMatch, parseFieldSelector } from './field-selector.js';
import { requestAttributes } from './request-info.js';
import type { ResourceCall } from './request-info.js';
import { toStatus } from './status-errors.js';
import { includeObjectOf, toTable, wantsTable, type ColumnsOf } from './tables.js';
import { WatchTimers } from './watch-bookmarks.js';
import { parseWatchOptions } from './watch-options.js';

/** The annotation of the BOOKMARK that ends a sendInitialEvents=true watch's initial objects. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export interface WatchDeps {
  readonly objects: ObjectStore;
  readonly log: Logger;
  readonly columnsOf: ColumnsOf;
  /** Registers the watch so shutdown can end it; returns the unregister function. */
  readonly track: (end: () => void) => () => void;
  readonly clock?: () => Date;
  /** The bookmarks' and timeoutSeconds' timers (injected in tests). */
  readonly timers?: MemoryStoreClock;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK (default a minute, as Kubernetes). */
  readonly bookmarkIntervalMs?: number;
}

/**
 * Authorizes and opens the watch; resolves once it is streaming. Errors before
 * the first byte (a bad selector, a denial) are thrown for the caller to
 * answer as a plain Status; later ones end the stream with an ERROR event.
 */
export async function serveWatch(deps: WatchDeps, call: ResourceCall, incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  const { request, query } = call;
  call.authorize(requestAttributes('watch', request));
  const labels = selectorOf(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector'));
  const table = wantsTable(call.accept);
  const columns = deps.columnsOf(request.info);
  const include = includeObjectOf(query);
  const now = deps.clock ?? (() => new Date());
  const options = parseWatchOptions(query);
  const { info } = request;

  let finished = false;
  let handle: WatchHandle | undefined;
  const writeEvent = (type: string, object: unknown): void => {
    if (!finished) response.write(`${JSON.stringify({ type, object })}\n`);
  };
  /** A BOOKMARK: the kind with only metadata.resourceVersion (a Table without rows for a Table watch). */
  const writeBookmark = (revision: number, annotations?: Record<string, string>): void => {
    const resourceVersion = String(revision);
    const object = table
      ? toTable(columns, [], { include, now: now(), resourceVersion })
      : { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion, ...(annotations ? { annotations } : {}) } };
    writeEvent('BOOKMARK', object);
  };
  const timers = new WatchTimers({
    ...(deps.timers ? { clock: deps.timers } : {}),
    ...(deps.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: deps.bookmarkIntervalMs } : {}),
    bookmarks: options.bookmarks,
    timeoutMs: options.timeoutMs,
    progress: () => handle?.progress() ?? 0,
    bookmark: (revision) => writeBookmark(revision),
    expire: () => finish(),
  });
  const finish = (): void => {
    if (finished) return;
    finished = true;
    untrack();
    timers.stop();
    void handle?.close();
    response.end();
  };
  const untrack = deps.track(finish);
  incoming.on('close', finish);
  response.on('close', finish);

  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  // Send the headers now: kubectl waits for them before it prints anything.
  response.flushHeaders();
  try {
    handle = await startWatchSession(
      deps.objects,
      {
        info: request.info,
        namespace: request.namespace,
        matches: (object) => labels.matches(object.metadata.labels) && fieldsMatch(fields, object),
        ...options.start,
      },
      {
        send: (type, object, revision) => {
          const stamped = { ...object, metadata: { ...object.metadata, resourceVersion: object.metadata.resourceVersion ?? String(revision) } };
          writeEvent(type, table ? toTable(columns, [stamped], { include, now: now(), resourceVersion: String(revision) }) : stamped);
        },
        ...(options.initialEventsEnd ? { synced: (revision: number) => writeBookmark(revision, { [INITIAL_EVENTS_END]: 'true' }) } : {}),
        end: (error) => {
          writeEvent('ERROR', toStatus(error, deps.log));
          finish();
        },
      },
    );
  } catch (error) {
    writeEvent('ERROR', toStatus(error, deps.log));
    finish();
    return;
  }
  if (finished) void handle.close();
  else timers.start();
}
