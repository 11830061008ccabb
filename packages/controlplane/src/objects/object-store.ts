// Typed objects on top of the raw Store: keys, JSON, resourceVersions,
// Secrets encrypted at rest (when given a transformer), and error messages
// that name the object the way kubectl users expect.
import { AlreadyExistsError, BatchConflictError, ConflictError, NotFoundError, type KindInfo, type ResourceObject } from '@skiff/api';
import type { KeyValue, ListOptions, ReadOptions, Store, StoreEvent, WatchHandle, WriteOp } from '../store/store.js';
import type { SecretTransformer } from './encrypted-secret-codec.js';
import { ObjectCodec } from './object-codec.js';
import { describeObject, kindPrefix, objectKey } from './object-keys.js';

export { describeObject } from './object-keys.js';

export type ObjectEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectEvent {
  readonly type: ObjectEventType;
  /** For DELETED, the object as it was last stored. */
  readonly object: ResourceObject;
  /** The object before this change, when there was one. */
  readonly previous?: ResourceObject;
  readonly revision: number;
}

export interface ObjectWatchCallbacks {
  onEvent(event: ObjectEvent): void;
  onCompacted(compactRevision: number): void;
  onError(error: Error): void;
}

export type ObjectWrite<T extends ResourceObject> =
  | { readonly op: 'create'; readonly object: T }
  | { readonly op: 'update'; readonly object: T; readonly expectedRevision: number }
  | { readonly op: 'delete'; readonly namespace: string | undefined; readonly name: string; readonly expectedRevision: number };

export interface ObjectStoreOptions {
  /** Encrypts Secrets on their way into the store (EncryptedSecretCodec); without it they are stored as plain JSON. */
  readonly secrets?: SecretTransformer;
}

/** ListOptions with the start relative to the kind's prefix. */
export interface ObjectPageOptions extends Omit<ListOptions, 'fromKey'> {
  readonly start?: string;
}

export interface ObjectPage<T extends ResourceObject> {
  readonly entries: readonly { readonly key: string; readonly object: T }[];
  readonly revision: number;
  /** Keys after the last entry at `revision` (0 without a limit). */
  readonly remaining: number;
}

export class ObjectStore {
  private readonly codec: ObjectCodec;
  /**
   * The last store event decoded for a watch, and what it decoded to. The
   * watch cache hands one event object to every watch in turn, so N watches
   * of a kind (an agent's assignments each) decode it once, not N times; the
   * decoded object is shared, and watchers only read it (informers freeze it).
   */
  private lastDecoded: { readonly event: StoreEvent; readonly change: ObjectEvent } | undefined;

  constructor(
    private readonly store: Store,
    options: ObjectStoreOptions = {},
  ) {
    this.codec = new ObjectCodec(options.secrets);
  }

  async get<T extends ResourceObject = ResourceObject>(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    /** How fresh (store.ts): by default a consistent read; `{ minRevision: 0 }` may come from the watch cache. */
    options?: ReadOptions,
  ): Promise<T | undefined> {
    const kv = await this.store.get(objectKey(info, namespace, name), options);
    return kv ? this.codec.decode<T>(info, kv) : undefined;
  }

  async mustGet<T extends ResourceObject = ResourceObject>(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    const object = await this.get<T>(info, namespace, name);
    if (!object) throw new NotFoundError(`${describeObject(info, namespace, name)} not found`);
    return object;
  }

  /** Every object of a kind, in one namespace or (namespace undefined) all of them. */
  async list<T extends ResourceObject = ResourceObject>(
    info: KindInfo,
    namespace: string | undefined,
    options?: ReadOptions,
  ): Promise<{ items: T[]; revision: number }> {
    const result = await this.store.list(kindPrefix(info, namespace), options);
    return { items: result.items.map((kv) => this.codec.decode<T>(info, kv)), revision: result.revision };
  }

  /**
   * One page of a kind's objects in key order (store.ts ListOptions), for
   * LIST with limit and continue. Keys here are relative to the kind's prefix
   * (kindPrefix), as Kubernetes' continue tokens carry them: `start` is where
   * the page begins, and each entry says its key.
   */
  async listPage<T extends ResourceObject = ResourceObject>(
    info: KindInfo,
    namespace: string | undefined,
    options: ObjectPageOptions,
  ): Promise<ObjectPage<T>> {
    const prefix = kindPrefix(info, namespace);
    const { start, ...rest } = options;
    const result = await this.store.list(prefix, { ...rest, ...(start !== undefined ? { fromKey: prefix + start } : {}) });
    return {
      entries: result.items.map((kv) => ({ key: kv.key.slice(prefix.length), object: this.codec.decode<T>(info, kv) })),
      revision: result.revision,
      remaining: result.remaining ?? 0,
    };
  }

  async create<T extends ResourceObject>(info: KindInfo, object: T): Promise<T> {
    const { namespace, name } = object.metadata;
    const key = objectKey(info, namespace, name);
    try {
      const revision = await this.store.create(key, this.codec.encode(info, key, object));
      return withVersion(object, revision);
    } catch (error) {
      if (error instanceof AlreadyExistsError) {
        throw new AlreadyExistsError(`${describeObject(info, namespace, name)} already exists`);
      }
      throw error;
    }
  }

  async update<T extends ResourceObject>(info: KindInfo, object: T, expectedRevision: number): Promise<T> {
    const { namespace, name } = object.metadata;
    const key = objectKey(info, namespace, name);
    try {
      const revision = await this.store.update(key, this.codec.encode(info, key, object), expectedRevision);
      return withVersion(object, revision);
    } catch (error) {
      throw explainWriteError(error, info, namespace, name, expectedRevision);
    }
  }

  async delete(info: KindInfo, namespace: string | undefined, name: string, expectedRevision: number): Promise<number> {
    try {
      return await this.store.delete(objectKey(info, namespace, name), expectedRevision);
    } catch (error) {
      throw explainWriteError(error, info, namespace, name, expectedRevision);
    }
  }

  /**
   * Replaces several objects of one kind in one atomic transaction, each only
   * if still at its expected revision. Throws BatchConflictError naming the
   * first object that had changed; nothing is written then.
   */
  async updateMany<T extends ResourceObject>(
    info: KindInfo,
    updates: readonly { readonly object: T; readonly expectedRevision: number }[],
  ): Promise<number> {
    return this.store.commit(
      updates.map(({ object, expectedRevision }) => {
        const key = objectKey(info, object.metadata.namespace, object.metadata.name);
        return { op: 'update' as const, key, value: this.codec.encode(info, key, object), expectedRevision };
      }),
    );
  }

  /**
   * Writes one object and, in the same atomic transaction, raw records that
   * must change with it (a Service's IP and node-port allocations): both
   * happen or neither. A lost compare on any of them is a ConflictError
   * (BatchConflictError), which read-modify-write loops retry.
   */
  async writeWith<T extends ResourceObject>(info: KindInfo, write: ObjectWrite<T>, extra: readonly WriteOp[]): Promise<{ revision: number; object?: T }> {
    const { namespace, name } = write.op === 'delete' ? write : write.object.metadata;
    const key = objectKey(info, namespace, name);
    const own: WriteOp =
      write.op === 'create'
        ? { op: 'create', key, value: this.codec.encode(info, key, write.object) }
        : write.op === 'update'
          ? { op: 'update', key, value: this.codec.encode(info, key, write.object), expectedRevision: write.expectedRevision }
          : { op: 'delete', key, expectedRevision: write.expectedRevision };
    let revision: number;
    try {
      revision = await this.store.commit([own, ...extra]);
    } catch (error) {
      if (error instanceof BatchConflictError && error.index === 0 && write.op === 'create') {
        throw new AlreadyExistsError(`${describeObject(info, namespace, name)} already exists`);
      }
      throw error;
    }
    return write.op === 'delete' ? { revision } : { revision, object: withVersion(write.object, revision) };
  }

  watch(
    info: KindInfo,
    namespace: string | undefined,
    afterRevision: number,
    callbacks: ObjectWatchCallbacks,
  ): WatchHandle {
    // The watch ends once: after its end, nothing more reaches the callbacks.
    let over = false;
    const end = (): boolean => {
      const first = !over;
      over = true;
      return first;
    };
    const handle = this.store.watch(kindPrefix(info, namespace), afterRevision, {
      onEvent: (event: StoreEvent) => {
        if (over) return;
        if (event.type === 'delete' && !event.prev) {
          // etcd reads a deleted key's last value from the revision before the
          // delete; when that was compacted away the object is unknown, so the
          // watcher must list again, as after any compaction.
          end();
          void handle.close().catch(() => {});
          callbacks.onCompacted(event.modRevision - 1);
          return;
        }
        let change: ObjectEvent;
        try {
          change = this.lastDecoded?.event === event ? this.lastDecoded.change : this.toObjectEvent(info, event);
          this.lastDecoded = { event, change };
        } catch (error) {
          // A value that cannot be read (a Secret under a key this control plane lacks) ends the watch, saying why.
          if (!end()) return;
          void handle.close().catch(() => {});
          callbacks.onError(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        callbacks.onEvent(change);
      },
      onCompacted: (compactRevision) => {
        if (end()) callbacks.onCompacted(compactRevision);
      },
      onError: (error) => {
        if (end()) callbacks.onError(error);
      },
    });
    return handle;
  }

  private toObjectEvent(info: KindInfo, event: StoreEvent): ObjectEvent {
    const decode = (kv: KeyValue): ResourceObject => this.codec.decode(info, kv);
    if (event.type === 'put') {
      const object = decode(event.kv);
      const previous = event.prev ? decode(event.prev) : undefined;
      const type = event.kv.createRevision === event.kv.modRevision ? 'ADDED' : 'MODIFIED';
      return previous ? { type, object, previous, revision: event.kv.modRevision } : { type, object, revision: event.kv.modRevision };
    }
    if (!event.prev) throw new Error(`delete event for ${event.key} carries no previous value`); // handled in watch()
    const object = decode({ ...event.prev, modRevision: event.modRevision });
    return { type: 'DELETED', object, revision: event.modRevision };
  }
}

function withVersion<T extends ResourceObject>(object: T, revision: number): T {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
}

function explainWriteError(
  error: unknown,
  info: KindInfo,
  namespace: string | undefined,
  name: string,
  expectedRevision: number,
): unknown {
  const what = describeObject(info, namespace, name);
  if (error instanceof NotFoundError) return new NotFoundError(`${what} not found`);
  if (error instanceof ConflictError) {
    const current = error.currentRevision === undefined ? '' : `; current is ${error.currentRevision}`;
    return new ConflictError(
      `Operation cannot be fulfilled on ${what}: the object has been modified (resourceVersion ${expectedRevision} is stale${current}); read it again and retry`,
      error.currentRevision,
    );
  }
  return error;
}
