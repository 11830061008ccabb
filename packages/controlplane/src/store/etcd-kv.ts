// EtcdStore's reads and compare-and-swap writes. Every write is one etcd
// transaction whose compare is the expectation and whose failure branch reads
// the keys back, so a conflict is told from a missing key in the same atomic
// read, with no second round trip and no race with writers in between.
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import type { EtcdConnection } from './etcd-client.js';
import { prefixRange, toKeyValue } from './etcd-codec.js';
import { isCompacted, isFutureRevision } from './etcd-errors.js';
import type { EtcdMaintenance } from './etcd-maintenance.js';
import {
  alreadyExists,
  batchConflict,
  casFailure,
  checkBatch,
  compactedList,
  futureListRevision,
  requireLeaseId,
  requireListOptions,
  requireRevision,
  type CurrentRevision,
} from './store-rules.js';
import type { KeyValue, ListOptions, ListResult, WriteOp } from './store.js';

/** Keys per range request when listing; pages are read at one pinned revision. */
const LIST_PAGE_SIZE = 500;

export class EtcdKv {
  constructor(
    private readonly connection: EtcdConnection,
    private readonly maintenance: EtcdMaintenance,
  ) {}

  private get kv(): EtcdConnection['client']['kv'] {
    return this.connection.client.kv;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.connection.call('get', () => this.kv.range({ key: Buffer.from(key) }));
    const kv = response.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    requireListOptions(prefix, options);
    const pinned = options.revision;
    if (pinned !== undefined) {
      // A page of a list begun earlier: that revision or nothing.
      try {
        return await this.listOnce(prefix, options);
      } catch (error) {
        if (isCompacted(error)) throw compactedList(pinned);
        if (isFutureRevision(error)) throw futureListRevision(pinned);
        throw this.connection.toStoreError('list', error);
      }
    }
    // Pages after the first are read at the first page's revision, so the
    // whole list is one consistent snapshot whatever its size. If that
    // revision is compacted between pages (unlikely), start over.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listOnce(prefix, options);
      } catch (error) {
        if (attempt >= 3 || !isCompacted(error)) throw this.connection.toStoreError('list', error);
      }
    }
  }

  private async listOnce(prefix: string, options: ListOptions): Promise<ListResult> {
    const { start, end } = prefixRange(prefix);
    const { limit } = options;
    const items: KeyValue[] = [];
    let revision = options.revision ?? 0;
    let from = options.fromKey === undefined ? start : Buffer.from(options.fromKey);
    let remaining = 0;
    for (;;) {
      const pinned = revision;
      const size = limit === undefined ? LIST_PAGE_SIZE : Math.min(LIST_PAGE_SIZE, limit - items.length);
      const response = await this.connection.call(
        'list',
        () => this.kv.range({ key: from, range_end: end, limit: size, ...(pinned > 0 ? { revision: pinned } : {}) }),
        { rethrowRaw: true },
      );
      if (revision === 0) revision = Number(response.header.revision);
      for (const kv of response.kvs) items.push(toKeyValue(kv));
      const last = response.kvs[response.kvs.length - 1];
      if (!response.more || last === undefined) break;
      if (limit !== undefined && items.length >= limit) {
        // etcd counts every key of the range [from, end), not only those it returned.
        remaining = Number(response.count) - response.kvs.length;
        break;
      }
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
    // etcd returns ranges in key byte order: that is the order we promise.
    return { items, revision, ...(limit !== undefined ? { remaining } : {}) };
  }

  async create(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    const response = await this.connection.call('create', () =>
      this.kv.txn({
        compare: [createCompare(key)],
        success: [putOp(key, value, options.lease)],
        failure: [rangeOp(key)],
      }),
    );
    if (!response.succeeded) throw alreadyExists(key, currentOf(response.responses[0]?.response_range.kvs));
    return Number(response.header.revision);
  }

  async update(key: string, value: string, expectedRevision: number, options: { lease?: string } = {}): Promise<number> {
    requireRevision(expectedRevision, `update of ${key}`);
    const response = await this.connection.call('update', () =>
      this.kv.txn({
        compare: [modRevisionCompare(key, expectedRevision)],
        success: [putOp(key, value, options.lease ?? null)],
        failure: [rangeOp(key)],
      }),
    );
    if (!response.succeeded) {
      throw casFailure(key, expectedRevision, currentOf(response.responses[0]?.response_range.kvs));
    }
    return Number(response.header.revision);
  }

  async delete(key: string, expectedRevision: number): Promise<number> {
    requireRevision(expectedRevision, `delete of ${key}`);
    const response = await this.connection.call('delete', () =>
      this.kv.txn({
        compare: [modRevisionCompare(key, expectedRevision)],
        success: [deleteOp(key)],
        failure: [rangeOp(key)],
      }),
    );
    if (!response.succeeded) {
      throw casFailure(key, expectedRevision, currentOf(response.responses[0]?.response_range.kvs));
    }
    return Number(response.header.revision);
  }

  async commit(ops: readonly WriteOp[]): Promise<number> {
    checkBatch(ops);
    if (ops.length === 0) return this.maintenance.currentRevision();

    const response = await this.connection.call('commit', () =>
      this.kv.txn({
        compare: ops.map((op) => (op.op === 'create' ? createCompare(op.key) : modRevisionCompare(op.key, op.expectedRevision))),
        // A check is a compare only: it has no request in the success branch.
        success: ops.flatMap((op): IRequestOp[] => {
          switch (op.op) {
            case 'create':
              return [putOp(op.key, op.value, op.lease)];
            case 'update':
              return [putOp(op.key, op.value, op.lease ?? null)];
            case 'delete':
              return [deleteOp(op.key)];
            case 'check':
              return [];
          }
        }),
        // On failure etcd runs these reads in the same transaction, so they
        // show exactly the state the compares saw.
        failure: ops.map((op) => rangeOp(op.key)),
      }),
    );
    if (response.succeeded) return Number(response.header.revision);

    const conflict = batchConflict(ops, (_op, index) => currentOf(response.responses[index]?.response_range.kvs));
    if (conflict) throw conflict;
    // Every compare holds in the failure snapshot: etcd disagrees with us about
    // compare semantics. Do not guess an index.
    throw new Error(`etcd rejected a batch of ${ops.length} ops but every expectation holds at revision ${response.header.revision}`);
  }
}

/** The key a failure branch read back, if it exists. */
function currentOf(kvs: IKeyValue[] | undefined): CurrentRevision | undefined {
  const kv = kvs?.[0];
  return kv ? { modRevision: Number(kv.mod_revision) } : undefined;
}

function createCompare(key: string): ICompare {
  return { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 };
}

function modRevisionCompare(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: revision };
}

/** `lease` null: keep the key's current lease; undefined: none (a create). */
function putOp(key: string, value: string, lease: string | undefined | null): IRequestOp {
  if (lease !== undefined && lease !== null) requireLeaseId(lease, true);
  const leaseFields = lease === null ? { ignore_lease: true } : lease === undefined ? {} : { lease };
  return { request_put: { key: Buffer.from(key), value: Buffer.from(value), ...leaseFields } };
}

function deleteOp(key: string): IRequestOp {
  return { request_delete_range: { key: Buffer.from(key) } };
}

function rangeOp(key: string): IRequestOp {
  return { request_range: { key: Buffer.from(key), keys_only: true } };
}
