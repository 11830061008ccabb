// A Store that combines concurrent single writes (create, update, delete of
// distinct keys, e.g. from many API clients at once) into one transaction of
// the inner store, as databases group-commit: etcd pays its raft round and
// fsync once for the whole group instead of once per write.
//
// Every compare-and-swap guarantee of a single write still holds:
//  - each write keeps its own compare (create: absent; update/delete: at the
//    expected revision) inside the combined transaction;
//  - a group never writes one key twice: a second write to a key waits for a
//    later group;
//  - when the group fails because one op's compare failed (BatchConflictError
//    names it), that op is re-run alone, so it gets exactly the error (or the
//    success) a single write would, and the rest are committed without it;
//  - a group refused as a whole for a definite reason that may be one op's
//    (InvalidError, NotFoundError: a lease that is gone) is re-run as single
//    writes, each getting its own answer; any other failure (etcd
//    unavailable) is every op's answer, as it would have been alone;
//  - a write is answered only after the inner store committed it.
// commit() batches (already atomic) and everything else pass straight
// through, whatever the op kinds.
import { BatchConflictError, InvalidError, NotFoundError } from '@skiff/api';
import { MAX_TXN_OPS, requireRevision } from './store-rules.js';
import { ForwardingStore } from './forwarding-store.js';
import type { Store, WriteOp } from './store.js';

/** etcd refuses requests over 1.5 MiB (--max-request-bytes); a group stays well under it. */
export const MAX_GROUP_BYTES = 1024 * 1024;

export interface GroupCommitOptions {
  /** Groups in flight at once; the next group gathers while they run (default 2). */
  readonly maxInFlight?: number;
  /** Ops per group (default 127: etcd's max-txn-ops less one, room for a guard a store below may add, such as a leader fence). */
  readonly maxOps?: number;
}

/** The single writes a group is made of (commit() may carry other op kinds: those pass through). */
type SingleWrite = Extract<WriteOp, { readonly op: 'create' | 'update' | 'delete' }>;

interface PendingWrite {
  readonly op: SingleWrite;
  readonly bytes: number;
  readonly resolve: (revision: number) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit extends ForwardingStore {
  private queue: PendingWrite[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxOps: number;
  /** Writes committed, and groups they went out in (for the benchmark and tests). */
  readonly stats = { writes: 0, groups: 0 };

  constructor(inner: Store, options: GroupCommitOptions = {}) {
    super(inner);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxOps = Math.min(MAX_TXN_OPS, Math.max(1, options.maxOps ?? MAX_TXN_OPS - 1));
  }

  override create(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    return this.enqueue({ op: 'create', key, value, ...(options.lease !== undefined ? { lease: options.lease } : {}) });
  }

  override async update(key: string, value: string, expectedRevision: number, options: { lease?: string } = {}): Promise<number> {
    requireRevision(expectedRevision, `update of ${key}`);
    return this.enqueue({ op: 'update', key, value, expectedRevision, ...(options.lease !== undefined ? { lease: options.lease } : {}) });
  }

  override async delete(key: string, expectedRevision: number): Promise<number> {
    requireRevision(expectedRevision, `delete of ${key}`);
    return this.enqueue({ op: 'delete', key, expectedRevision });
  }

  private enqueue(op: SingleWrite): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const bytes = op.key.length + ('value' in op ? op.value.length : 0);
      this.queue.push({ op, bytes, resolve, reject });
      // Gather what arrives in this turn of the event loop before sending.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.takeGroup();
      this.inFlight++;
      void this.run(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The oldest queued writes, one per key, up to the op and byte limits; the rest stay queued in order. */
  private takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [];
    const keys = new Set<string>();
    const rest: PendingWrite[] = [];
    let bytes = 0;
    for (const write of this.queue) {
      const fits = group.length < this.maxOps && (group.length === 0 || bytes + write.bytes <= MAX_GROUP_BYTES);
      if (fits && !keys.has(write.op.key)) {
        group.push(write);
        keys.add(write.op.key);
        bytes += write.bytes;
      } else {
        rest.push(write);
      }
    }
    this.queue = rest;
    return group;
  }

  private async run(group: PendingWrite[]): Promise<void> {
    let remaining = group;
    while (remaining.length > 1) {
      let revision: number;
      try {
        revision = await this.inner.commit(remaining.map((write) => write.op));
      } catch (error) {
        if (error instanceof BatchConflictError && remaining[error.index] !== undefined) {
          // Only this op's expectation failed: it learns why on its own, the rest go again without it.
          const failed = remaining[error.index]!;
          remaining = remaining.filter((write) => write !== failed);
          void this.alone(failed);
          continue;
        }
        if (error instanceof InvalidError || error instanceof NotFoundError) {
          // Refused whole, nothing written, and it may be one op's fault: each answers for itself.
          await Promise.all(remaining.map((write) => this.alone(write)));
          return;
        }
        for (const write of remaining) write.reject(error);
        return;
      }
      this.stats.groups++;
      this.stats.writes += remaining.length;
      for (const write of remaining) write.resolve(revision);
      return;
    }
    if (remaining[0]) await this.alone(remaining[0]);
  }

  /** One write as a single write of the inner store: its own transaction, its own exact error. */
  private async alone(write: PendingWrite): Promise<void> {
    const { op } = write;
    const lease = op.op !== 'delete' && op.lease !== undefined ? { lease: op.lease } : {};
    try {
      const revision =
        op.op === 'create'
          ? await this.inner.create(op.key, op.value, lease)
          : op.op === 'update'
            ? await this.inner.update(op.key, op.value, op.expectedRevision, lease)
            : await this.inner.delete(op.key, op.expectedRevision);
      this.stats.groups++;
      this.stats.writes++;
      write.resolve(revision);
    } catch (error) {
      write.reject(error);
    }
  }
}
