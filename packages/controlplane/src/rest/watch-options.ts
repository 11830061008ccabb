// The query parameters of `?watch=true` that say where a watch starts, how
// long it lasts and whether it gets bookmarks, checked as kube-apiserver
// checks its ListOptions (a bad combination is 422 Invalid, one cause per
// parameter, before the stream begins):
//  - resourceVersion: "" the current objects (a consistent read) as ADDED,
//    then changes; "0" the same from whatever the watch cache holds; "N" the
//    changes after N;
//  - sendInitialEvents=true (client-go's WatchList; needs
//    resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true): the
//    objects at least as new as resourceVersion as ADDED, then a BOOKMARK
//    annotated k8s.io/initial-events-end, then changes; false: changes only;
//  - allowWatchBookmarks: periodic BOOKMARK events (watch-bookmarks.ts);
//  - timeoutSeconds: the server ends the watch after that long; without it,
//    after a random 30 to 60 minutes, as kube-apiserver (--min-request-timeout
//    1800 s, times 1 to 2) does, so that long watches spread over the servers
//    and are re-established now and then.
import { InvalidError } from '@skiff/api';
import { watchStart, type WatchSessionOptions } from '../api/watch-session.js';
import { parseResourceVersion } from '../objects/object-codec.js';

export const NOT_OLDER_THAN = 'NotOlderThan';

export interface WatchRequestOptions {
  /** Where the session starts (watch-session.ts). */
  readonly start: Pick<WatchSessionOptions, 'afterRevision' | 'initialList' | 'initialEvents'>;
  /** allowWatchBookmarks=true. */
  readonly bookmarks: boolean;
  /** sendInitialEvents=true: a BOOKMARK annotated k8s.io/initial-events-end follows the initial objects. */
  readonly initialEventsEnd: boolean;
  /** timeoutSeconds, in ms, or the server's random 30–60 minutes when the request names none (or 0). */
  readonly timeoutMs: number;
}

/** kube-apiserver's --min-request-timeout default: a watch naming no timeout lasts 1 to 2 times this. */
export const MIN_REQUEST_TIMEOUT_MS = 1800_000;

/** Go's strconv.ParseBool, which kube-apiserver decodes boolean query parameters with. */
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function booleanOf(query: URLSearchParams, name: string, causes: string[]): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  causes.push(`${name}: Invalid value: "${value}": must be true or false`);
  return undefined;
}

/** `random` in [0, 1) picks the server's timeout (Math.random; fixed in tests). */
export function parseWatchOptions(query: URLSearchParams, random: () => number = Math.random): WatchRequestOptions {
  const causes: string[] = [];
  const bookmarks = booleanOf(query, 'allowWatchBookmarks', causes) ?? false;
  const sendInitialEvents = booleanOf(query, 'sendInitialEvents', causes);
  const match = query.get('resourceVersionMatch') ?? '';
  const timeout = query.get('timeoutSeconds');
  const timeoutSeconds = timeout === null || timeout === '' ? 0 : Number(timeout);
  if (!Number.isSafeInteger(timeoutSeconds) || timeoutSeconds < 0) {
    causes.push(`timeoutSeconds: Invalid value: "${timeout}": must be a whole number of seconds, 0 or more`);
  }
  if (sendInitialEvents !== undefined && match !== NOT_OLDER_THAN) {
    causes.push(`resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`);
  }
  if (match !== '') {
    if (sendInitialEvents === undefined) causes.push('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    if (match !== NOT_OLDER_THAN) causes.push(`resourceVersionMatch: Unsupported value: "${match}": supported values: "${NOT_OLDER_THAN}"`);
    if (sendInitialEvents === true && !bookmarks) causes.push('allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true');
  }
  // A malformed resourceVersion is object-codec's InvalidError, as for a list.
  const resourceVersion = parseResourceVersion(query.get('resourceVersion') ?? undefined);
  if (causes.length > 0) {
    throw new InvalidError(`ListOptions.meta.k8s.io "" is invalid: ${causes.join(', ')}`, causes);
  }
  return {
    start: startOf(resourceVersion, sendInitialEvents),
    bookmarks,
    initialEventsEnd: sendInitialEvents === true,
    timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : Math.floor(MIN_REQUEST_TIMEOUT_MS * (1 + random())),
  };
}

function startOf(resourceVersion: number | undefined, sendInitialEvents: boolean | undefined): WatchRequestOptions['start'] {
  if (sendInitialEvents === undefined) return watchStart(resourceVersion);
  // NotOlderThan: "" a consistent read, "0" any, "N" at least N.
  const initialList = resourceVersion === undefined ? {} : { initialList: { minRevision: resourceVersion } };
  if (sendInitialEvents) return { afterRevision: undefined, ...initialList };
  // Changes only: after N, or after the revision of a read as fresh as asked, its objects not sent.
  if (resourceVersion !== undefined && resourceVersion > 0) return { afterRevision: resourceVersion };
  return { afterRevision: undefined, ...initialList, initialEvents: false };
}
