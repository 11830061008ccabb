// serveWatch over a real ObjectStore on a WatchCache on a MemoryStore, with
// the bookmark timers on a ManualClock: what a client reads off the wire.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidError, kindInfo, type ResourceObject } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { ManualClock } from '../store/memory-clock.js';
import { MemoryStore } from '../store/memory-store.js';
import { WatchCache } from '../store/watch-cache.js';
import { parseResourcePath } from './request-info.js';
import type { ResourceCall } from './request-info.js';
import { kindColumns } from './tables.js';
import { INITIAL_EVENTS_END, serveWatch } from './watch-handler.js';

const CONFIG_MAP = kindInfo('ConfigMap');
const INTERVAL_MS = 1_000;

interface WireEvent {
  readonly type: string;
  readonly object: { kind?: string; apiVersion?: string; metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

/** The response as a client sees it: the JSON lines written, and whether it ended. */
class RecordedResponse extends EventEmitter {
  readonly lines: WireEvent[] = [];
  ended = false;
  writeHead(): this {
    return this;
  }
  flushHeaders(): void {}
  write(chunk: string): boolean {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as WireEvent);
    return true;
  }
  end(): void {
    this.ended = true;
  }
}

let cache: WatchCache | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await cache?.close();
});

function configMap(name: string, namespace = 'default'): ResourceObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: '1' } } as unknown as ResourceObject;
}

async function setUp() {
  cache = new WatchCache(new MemoryStore());
  const objects = new ObjectStore(cache);
  const clock = new ManualClock();
  const watch = async (query: string) => {
    const parsed = parseResourcePath('/api/v1/namespaces/default/configmaps');
    if (parsed.type !== 'resource') throw new Error('not a resource path');
    const call: ResourceCall = {
      request: parsed.request,
      verb: 'watch',
      query: new URLSearchParams(query),
      accept: undefined,
      contentType: '',
      body: undefined,
      authorize: () => {},
    };
    const incoming = new EventEmitter() as IncomingMessage;
    const response = new RecordedResponse();
    const deps = { objects, log: pino({ level: 'silent' }), columnsOf: kindColumns, track: () => () => {}, timers: clock, bookmarkIntervalMs: INTERVAL_MS };
    await serveWatch(deps, call, incoming, response as unknown as ServerResponse);
    closers.push(() => incoming.emit('close'));
    return response;
  };
  return { objects, clock, watch, cache };
}

describe('serveWatch', () => {
  it('sends BOOKMARKs every interval with the revision the watch caught up to, writes to other kinds included', async () => {
    const { objects, clock, watch, cache } = await setUp();
    const first = await objects.create(CONFIG_MAP, configMap('one'));
    const response = await watch(`allowWatchBookmarks=true&resourceVersion=${first.metadata.resourceVersion}`);
    // A write the watch does not see: a ConfigMap in another namespace, then a key of no kind at all.
    await objects.create(CONFIG_MAP, configMap('elsewhere', 'other'));
    const unrelated = await cache.create('/skiff/unrelated', 'x');
    await waitFor(() => cache.revision === unrelated, { timeoutMs: 10_000, description: 'the cache to reach the last write' });
    clock.advance(INTERVAL_MS);
    expect(response.lines).toEqual([{ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(unrelated) } } }]);
    const second = await objects.create(CONFIG_MAP, configMap('two'));
    await waitFor(() => response.lines.length === 2, { timeoutMs: 10_000, description: 'the ADDED event' });
    clock.advance(INTERVAL_MS);
    expect(response.lines.map((line) => `${line.type} ${line.object.metadata.name ?? ''}@${line.object.metadata.resourceVersion}`)).toEqual([
      `BOOKMARK @${unrelated}`,
      `ADDED two@${second.metadata.resourceVersion}`,
      `BOOKMARK @${second.metadata.resourceVersion}`,
    ]);
  });

  it('sends no BOOKMARK unless asked', async () => {
    const { clock, watch } = await setUp();
    const response = await watch('resourceVersion=1');
    clock.advance(10 * INTERVAL_MS);
    expect(response.lines).toEqual([]);
  });

  it('sendInitialEvents: the objects as ADDED, a BOOKMARK marking their end, then changes', async () => {
    const { objects, watch } = await setUp();
    await objects.create(CONFIG_MAP, configMap('a'));
    const b = await objects.create(CONFIG_MAP, configMap('b'));
    // NotOlderThan b: the initial objects wait for the cache to reach b's revision.
    const response = await watch(`sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${b.metadata.resourceVersion}`);
    expect(response.lines.map((line) => `${line.type} ${line.object.metadata.name ?? ''}`)).toEqual(['ADDED a', 'ADDED b', 'BOOKMARK ']);
    expect(response.lines[2]?.object.metadata).toEqual({ resourceVersion: b.metadata.resourceVersion, annotations: { [INITIAL_EVENTS_END]: 'true' } });
    await objects.create(CONFIG_MAP, configMap('c'));
    await waitFor(() => response.lines.length === 4, { timeoutMs: 10_000, description: 'the change after the initial events' });
    expect(response.lines[3]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'c' } } });
  });

  it('sendInitialEvents=false: only the changes, from a revision at least as new as asked', async () => {
    const { objects, watch } = await setUp();
    await objects.create(CONFIG_MAP, configMap('before'));
    const response = await watch('sendInitialEvents=false&resourceVersionMatch=NotOlderThan');
    await objects.create(CONFIG_MAP, configMap('after'));
    await waitFor(() => response.lines.length === 1, { timeoutMs: 10_000, description: 'the change' });
    expect(response.lines.map((line) => `${line.type} ${line.object.metadata.name ?? ''}`)).toEqual(['ADDED after']);
  });

  it('ends the stream at timeoutSeconds, after a last BOOKMARK shortly before', async () => {
    const { clock, watch } = await setUp();
    const response = await watch('allowWatchBookmarks=true&timeoutSeconds=5&resourceVersion=1');
    clock.advance(3_999);
    expect(response.lines).toHaveLength(3);
    expect(response.ended).toBe(false);
    clock.advance(1_001);
    expect(response.ended).toBe(true);
    expect(response.lines.map((line) => line.type)).toEqual(['BOOKMARK', 'BOOKMARK', 'BOOKMARK']);
  });

  it('refuses options Kubernetes refuses, naming each, before the stream starts', async () => {
    const { watch } = await setUp();
    const refused = await watch('sendInitialEvents=true&resourceVersionMatch=Exact&timeoutSeconds=-1').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidError);
    expect((refused as InvalidError).details).toEqual([
      'timeoutSeconds: Invalid value: "-1": must be a whole number of seconds, 0 or more',
      'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
      'allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
    ]);
    await expect(watch('resourceVersionMatch=NotOlderThan')).rejects.toThrow(/forbidden for watch unless sendInitialEvents/);
    await expect(watch('allowWatchBookmarks=yes')).rejects.toThrow(/allowWatchBookmarks: Invalid value: "yes"/);
  });
});
