// One client's watch: optional initial state, then every change in revision
// order, filtered by label selector the way Kubernetes does it (an object that
// stops matching is DELETED for this watcher, one that starts matching ADDED).
import { CompactedError, type KindInfo, type ResourceObject } from '@skiff/api';
import type { ObjectEvent, ObjectEventType, ObjectStore } from '../objects/object-store.js';
import type { ReadOptions, WatchHandle } from '../store/store.js';

export interface WatchOutput {
  send(type: ObjectEventType, object: ResourceObject, revision: number): void;
  /** After the initial objects (only when watching from "now"): the watcher has the full picture. */
  synced?(revision: number): void;
  /** The watch is over: `error` says why (compaction, store failure). */
  end(error: Error): void;
}

export interface WatchSessionOptions {
  readonly info: KindInfo;
  /** undefined = all namespaces (or a cluster-scoped kind). */
  readonly namespace: string | undefined;
  /** Which objects this watcher sees (a label selector, a node's pods…). */
  readonly matches: (object: ResourceObject) => boolean;
  /** Watch after this revision; undefined = send the current objects as ADDED first. */
  readonly afterRevision: number | undefined;
  /** How fresh those current objects must be (default: a consistent read). */
  readonly initialList?: ReadOptions;
  /** false: the current objects are read only for their revision, not sent (Kubernetes' sendInitialEvents=false). */
  readonly initialEvents?: boolean;
}

/**
 * Where a client's watch resourceVersion starts, as in Kubernetes: "" (undefined)
 * the current objects from a consistent read, then changes; "0" the current
 * objects from whatever the watch cache holds ("any"), then changes; "N" the
 * changes after N.
 */
export function watchStart(resourceVersion: number | undefined): Pick<WatchSessionOptions, 'afterRevision' | 'initialList'> {
  if (resourceVersion === 0) return { afterRevision: undefined, initialList: { minRevision: 0 } };
  return { afterRevision: resourceVersion };
}

export async function startWatchSession(
  objects: ObjectStore,
  options: WatchSessionOptions,
  output: WatchOutput,
): Promise<WatchHandle> {
  const { info, namespace, matches } = options;
  let after = options.afterRevision;
  if (after === undefined) {
    const { items, revision } = await objects.list(info, namespace, options.initialList);
    if (options.initialEvents !== false) {
      for (const item of items) if (matches(item)) output.send('ADDED', item, revision);
      output.synced?.(revision);
    }
    after = revision;
  }
  return objects.watch(info, namespace, after, {
    onEvent: (event) => {
      const translated = throughFilter(event, matches);
      if (translated) output.send(translated, event.object, event.revision);
    },
    onCompacted: (compactRevision) =>
      output.end(
        new CompactedError(
          `resourceVersion ${after} is too old (history before ${compactRevision} was compacted); list again and watch from the list's resourceVersion`,
          compactRevision,
        ),
      ),
    onError: (error) => output.end(error),
  });
}

function throughFilter(event: ObjectEvent, matches: (object: ResourceObject) => boolean): ObjectEventType | undefined {
  const now = matches(event.object);
  if (event.type === 'DELETED') return now ? 'DELETED' : undefined;
  const before = event.previous !== undefined && matches(event.previous);
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}
