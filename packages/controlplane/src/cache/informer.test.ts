// The informer against a real etcd: list + watch into a frozen cache, handlers,
// indexes, and recovery — after a compaction or a failed watch it relists and
// reports every change it missed, deletes included.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindInfo, type Pod } from '@skiff/api';
import { startEtcd, waitFor, type EtcdServer } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import { ForwardingStore } from '../store/forwarding-store.js';
import type { ListResult, Store, StoreEvent, WatchCallbacks, WatchHandle } from '../store/store.js';
import { ListWatchInformer, keyOf, splitKey, type Immutable } from './informer.js';

const POD = kindInfo('Pod');
let etcd: EtcdServer;
let store: EtcdStore;
let objects: ObjectStore;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
  objects = new ObjectStore(store);
});

afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

function pod(namespace: string, name: string, labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: randomUUID(), labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
    status: { phase: 'Pending' },
  };
}

/** A namespace of its own per test: the informers watch every namespace. */
function freshNamespace(): string {
  return `ns-${randomUUID().slice(0, 8)}`;
}

interface Recorded {
  readonly log: string[];
}

/** Records handler calls for objects in `namespace` as "add a", "update a", "delete a". */
function record(informer: ListWatchInformer<Pod>, namespace: string): Recorded {
  const log: string[] = [];
  const mine = (p: Immutable<Pod>): boolean => p.metadata.namespace === namespace;
  informer.addHandlers({
    onAdd: (p) => mine(p) && log.push(`add ${p.metadata.name}`),
    onUpdate: (before, after) => {
      if (!mine(after)) return;
      expect(before.metadata.name).toBe(after.metadata.name);
      log.push(`update ${after.metadata.name}`);
    },
    onDelete: (p) => mine(p) && log.push(`delete ${p.metadata.name}`),
  });
  return { log };
}

function namesIn(informer: ListWatchInformer<Pod>, namespace: string): string[] {
  return informer
    .listBy((p) => p.metadata.namespace === namespace)
    .map((p) => p.metadata.name)
    .sort();
}

async function storedNames(namespace: string): Promise<string[]> {
  const { items } = await objects.list<Pod>(POD, namespace);
  return items.map((p) => p.metadata.name).sort();
}

async function relabel(namespace: string, name: string, value: string): Promise<void> {
  const current = await objects.mustGet<Pod>(POD, namespace, name);
  current.metadata.labels = { ...current.metadata.labels, v: value };
  await objects.update(POD, current, Number(current.metadata.resourceVersion));
}

async function remove(namespace: string, name: string): Promise<void> {
  const current = await objects.mustGet<Pod>(POD, namespace, name);
  await objects.delete(POD, namespace, name, Number(current.metadata.resourceVersion));
}

describe('Informer', () => {
  it('lists, then follows the watch, with frozen objects, lookups and an index', async () => {
    const ns = freshNamespace();
    await objects.create(POD, pod(ns, 'a', { app: 'x' }));
    await objects.create(POD, pod(ns, 'b', { app: 'y' }));
    const informer = new ListWatchInformer<Pod>({ objects, info: POD });
    informer.addIndex('app', (p) => (p.metadata.labels?.['app'] ? [p.metadata.labels['app']] : []));
    const seen = record(informer, ns);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.revision).toBeGreaterThan(0);
    expect(seen.log.sort()).toEqual(['add a', 'add b']);

    const a = informer.get(`${ns}/a`);
    expect(a?.metadata.labels).toEqual({ app: 'x' });
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a?.spec.containers[0])).toBe(true);
    // ESM is strict mode: writing to a frozen object throws instead of silently corrupting the cache.
    expect(() => {
      (a as unknown as Pod).metadata.name = 'hacked';
    }).toThrow(TypeError);
    expect(informer.byIndex('app', 'y').map((p) => p.metadata.name)).toEqual(['b']);

    seen.log.length = 0;
    await objects.create(POD, pod(ns, 'c', { app: 'y' }));
    await relabel(ns, 'a', '2');
    await remove(ns, 'b');
    await waitFor(() => seen.log.length >= 3, { timeoutMs: 10_000, description: 'three watch events' });
    expect(seen.log).toEqual(['add c', 'update a', 'delete b']);
    expect(namesIn(informer, ns)).toEqual(['a', 'c']);
    expect(informer.get(`${ns}/a`)?.metadata.labels?.['v']).toBe('2');
    expect(informer.byIndex('app', 'y').map((p) => p.metadata.name)).toEqual(['c']);
    expect(informer.list().length).toBeGreaterThanOrEqual(2);

    // Handlers added late are replayed the current objects.
    const late = record(informer, ns);
    expect(late.log.sort()).toEqual(['add a', 'add c']);
    await informer.stop();
  });

  it('relists after its watch falls behind a compaction and reports every change it missed', async () => {
    const ns = freshNamespace();
    for (const name of ['keep', 'change', 'drop1', 'drop2']) await objects.create(POD, pod(ns, name));
    const interruptible = new InterruptibleStore(store);
    const messages: string[] = [];
    const note = (_fields: object, message: string): void => void messages.push(message);
    const log = { debug: note, info: note, warn: note, error: note };
    const informer = new ListWatchInformer<Pod>({ objects: new ObjectStore(interruptible), info: POD, log });
    const seen = record(informer, ns);
    informer.start();
    await informer.waitForSync();
    await waitFor(() => interruptible.openWatches === 1, { timeoutMs: 5_000, description: 'the informer to watch' });
    const listsBefore = interruptible.listCalls;
    seen.log.length = 0;

    // The informer's watch is cut off; meanwhile objects change and the
    // history it would resume from is compacted away.
    await interruptible.interruptWatches();
    await remove(ns, 'drop1');
    await remove(ns, 'drop2');
    await relabel(ns, 'change', 'new');
    await objects.create(POD, pod(ns, 'born'));
    await objects.create(POD, pod(ns, 'ephemeral'));
    await remove(ns, 'ephemeral');
    await store.compact(await store.currentRevision());
    interruptible.resumeWatches();

    await waitFor(() => interruptible.listCalls > listsBefore && interruptible.openWatches === 1 && seen.log.length >= 4, {
      timeoutMs: 10_000,
      description: 'the informer to relist and watch again',
    });
    // It was the compaction that ended the watch (not some error).
    expect(messages).toContain('informer watch fell behind compaction; relisting');
    expect(seen.log.sort()).toEqual(['add born', 'delete drop1', 'delete drop2', 'update change']);
    expect(namesIn(informer, ns)).toEqual(await storedNames(ns));
    expect(informer.get(`${ns}/change`)?.metadata.labels?.['v']).toBe('new');

    // And it keeps following the new watch.
    seen.log.length = 0;
    await remove(ns, 'keep');
    await waitFor(() => seen.log.includes('delete keep'), { timeoutMs: 10_000, description: 'the delete after recovery' });
    await informer.stop();
  });

  it('relists with back-off after its watch fails, missing nothing that changed meanwhile', async () => {
    const ns = freshNamespace();
    await objects.create(POD, pod(ns, 'a'));
    const interruptible = new InterruptibleStore(store);
    const informer = new ListWatchInformer<Pod>({ objects: new ObjectStore(interruptible), info: POD, relistBackoff: { initialMs: 20, maxMs: 100 } });
    const seen = record(informer, ns);
    informer.start();
    await informer.waitForSync();
    await waitFor(() => interruptible.openWatches === 1, { timeoutMs: 5_000, description: 'the informer to watch' });
    const release = interruptible.holdLists();
    const listsBefore = interruptible.listCalls;
    await interruptible.failWatches('connection reset by test');
    await remove(ns, 'a');
    await objects.create(POD, pod(ns, 'b'));
    // The relist is attempted (and held) — the failure did not end the informer.
    await waitFor(() => interruptible.listCalls > listsBefore, { timeoutMs: 5_000, description: 'a relist attempt' });
    release();
    await waitFor(() => seen.log.length >= 3, { timeoutMs: 10_000, description: 'the changes made during the outage' });
    expect(seen.log).toEqual(['add a', 'add b', 'delete a']);
    expect(namesIn(informer, ns)).toEqual(['b']);
    await informer.stop();
  });

  it('rejects waitForSync when stopped before its first list, and calls no handler after stop', async () => {
    const ns = freshNamespace();
    await objects.create(POD, pod(ns, 'a'));
    const interruptible = new InterruptibleStore(store);
    const release = interruptible.holdLists();
    const informer = new ListWatchInformer<Pod>({ objects: new ObjectStore(interruptible), info: POD });
    const seen = record(informer, ns);
    informer.start();
    // Settled into a value at once, so the rejection is never "unhandled".
    const synced = informer.waitForSync().then(
      () => 'synced',
      (error: Error) => error.message,
    );
    await waitFor(() => interruptible.listCalls === 1, { timeoutMs: 5_000, description: 'the first list' });
    const stopped = informer.stop();
    release();
    await stopped;
    expect(await synced).toMatch(/stopped before it synced/);
    expect(seen.log).toEqual([]);
    expect(interruptible.openWatches).toBe(0);
    expect(() => informer.start()).toThrow(/already started/);
  });

  it('keys objects as namespace/name', () => {
    expect(keyOf({ metadata: { namespace: 'ns', name: 'a' } })).toBe('ns/a');
    expect(keyOf({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(splitKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(splitKey('node-1')).toEqual({ namespace: undefined, name: 'node-1' });
  });
});

/**
 * Delegates to a real Store. `interruptWatches()` closes every underlying
 * watch, as a dropped connection would, remembering the last revision each
 * delivered; `resumeWatches()` reopens them from there, exactly as the etcd
 * store's own reconnect does. Anything compacted in between makes etcd report
 * the compaction on resume. `failWatches()` ends them with an error instead.
 * `holdLists()` keeps list() calls waiting until the returned release().
 */
class InterruptibleStore extends ForwardingStore {
  private readonly watches = new Set<ResumableWatch>();
  private listGate: Promise<void> | undefined;
  listCalls = 0;

  override async list(prefix: string): Promise<ListResult> {
    this.listCalls += 1;
    await this.listGate;
    return this.inner.list(prefix);
  }

  override watch(prefix: string, afterRevision: number, callbacks: WatchCallbacks): WatchHandle {
    const watch = new ResumableWatch(this.inner, prefix, afterRevision, callbacks, () => this.watches.delete(watch));
    this.watches.add(watch);
    watch.open();
    return watch;
  }

  override async close(): Promise<void> {
    await Promise.all([...this.watches].map((watch) => watch.close()));
  }

  /** Open watches (those not closed, compacted or failed). */
  get openWatches(): number {
    return this.watches.size;
  }

  async interruptWatches(): Promise<void> {
    await Promise.all([...this.watches].map((watch) => watch.interrupt()));
  }

  resumeWatches(): void {
    for (const watch of this.watches) watch.open();
  }

  async failWatches(message: string): Promise<void> {
    await Promise.all([...this.watches].map((watch) => watch.fail(new Error(message))));
  }

  holdLists(): () => void {
    let release = (): void => {};
    this.listGate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.listGate = undefined;
      release();
    };
  }
}

class ResumableWatch implements WatchHandle {
  private inner: WatchHandle | undefined;
  private over = false;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private lastRevision: number,
    private readonly callbacks: WatchCallbacks,
    private readonly onOver: () => void,
  ) {}

  open(): void {
    if (this.over || this.inner) return;
    this.inner = this.store.watch(this.prefix, this.lastRevision, {
      onEvent: (event: StoreEvent) => {
        this.lastRevision = event.type === 'put' ? event.kv.modRevision : event.modRevision;
        this.callbacks.onEvent(event);
      },
      onCompacted: (revision) => {
        this.finish();
        this.callbacks.onCompacted(revision);
      },
      onError: (error) => {
        this.finish();
        this.callbacks.onError(error);
      },
    });
  }

  progress(): number {
    return Math.max(this.lastRevision, this.inner?.progress() ?? 0);
  }

  async interrupt(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    await inner?.close();
  }

  async fail(error: Error): Promise<void> {
    await this.interrupt();
    this.finish();
    this.callbacks.onError(error);
  }

  async close(): Promise<void> {
    this.finish();
    await this.interrupt();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.onOver();
  }
}
