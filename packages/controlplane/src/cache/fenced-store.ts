// The store the leader's loops write through. Every write becomes one
// transaction that also checks the election key is still at this term's
// revision (a `check` op, store.ts), so a deposed leader's late write — one
// already in flight when its lease ran out, or sent by a process paused past
// its renew deadline — fails in etcd itself, after a successor took over.
// Reads (and leases, the revision, ping) pass through: they decide nothing on their own.
import { BatchConflictError, FailedPreconditionError, InvalidError } from '@skiff/api';
import { MAX_TXN_OPS, alreadyExists, casFailure } from '../store/store-rules.js';
import { ForwardingStore } from '../store/forwarding-store.js';
import type { KeyValue, Store, WriteOp } from '../store/store.js';

/** A write of a leader whose term is over (FAILED_PRECONDITION): nothing was written. */
export class NotLeaderError extends FailedPreconditionError {
  constructor(term: number, detail: string) {
    super(`not the leader: the term ${term} of this control plane is over (${detail}); the new leader does this work`);
  }
}

export interface Fence {
  /** The election key. */
  readonly key: string;
  /** This term: the election key's revision when we created it. */
  readonly term: number;
}

export class FencedStore extends ForwardingStore {
  private over = false;

  constructor(
    inner: Store,
    private readonly fence: Fence,
  ) {
    super(inner);
  }

  /** The term ended here (we stepped down): refuse writes without asking etcd. */
  endTerm(): void {
    this.over = true;
  }

  override async create(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    return this.single({ op: 'create', key, value, ...options }, (current) => alreadyExists(key, current));
  }

  override async update(key: string, value: string, expectedRevision: number, options: { lease?: string } = {}): Promise<number> {
    return this.single({ op: 'update', key, value, expectedRevision, ...options }, (current) => casFailure(key, expectedRevision, current));
  }

  override async delete(key: string, expectedRevision: number): Promise<number> {
    return this.single({ op: 'delete', key, expectedRevision }, (current) => casFailure(key, expectedRevision, current));
  }

  override async commit(ops: readonly WriteOp[]): Promise<number> {
    try {
      return await this.guarded(ops);
    } catch (error) {
      if (!(error instanceof BatchConflictError)) throw error;
      // Renumber to the caller's ops: ours was op 0.
      const index = error.index - 1;
      throw new BatchConflictError(error.message.replace(/^batch op \d+/, `batch op ${index}`), index);
    }
  }

  /** Compaction is no transaction to guard: refused once the term is over, else passed on (it is idempotent). */
  override async compact(revision: number): Promise<void> {
    if (this.over) throw new NotLeaderError(this.fence.term, 'this control plane stepped down');
    return this.inner.compact(revision);
  }

  /** The shared store is not ours to close. */
  override async close(): Promise<void> {
    this.endTerm();
  }

  /** One write as a guarded batch; a lost compare on it is the error the unguarded write would raise. */
  private async single(op: WriteOp, failure: (current: KeyValue | undefined) => Error): Promise<number> {
    try {
      return await this.guarded([op]);
    } catch (error) {
      if (!(error instanceof BatchConflictError)) throw error;
      // The failure branch's read is not kept by commit(): read the key again to say what was found.
      throw failure(await this.inner.get(op.key));
    }
  }

  private async guarded(ops: readonly WriteOp[]): Promise<number> {
    if (this.over) throw new NotLeaderError(this.fence.term, 'this control plane stepped down');
    if (ops.length >= MAX_TXN_OPS) {
      throw new InvalidError(`a leader's batch holds at most ${MAX_TXN_OPS - 1} operations (the fence takes one of etcd's ${MAX_TXN_OPS}); got ${ops.length}`);
    }
    try {
      return await this.inner.commit([{ op: 'check', key: this.fence.key, expectedRevision: this.fence.term }, ...ops]);
    } catch (error) {
      if (error instanceof BatchConflictError && error.index === 0) {
        this.endTerm();
        throw new NotLeaderError(this.fence.term, 'the election key has moved on');
      }
      throw error;
    }
  }
}
