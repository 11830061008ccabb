// What every Store implementation must check and say the same way: the
// argument checks of the contract in store.ts, and the errors a failed
// expectation raises. EtcdStore and MemoryStore both use these, so a caller
// cannot tell them apart by an error's type, fields or message.
import { AlreadyExistsError, BatchConflictError, CompactedError, ConflictError, InvalidError, NotFoundError, messageOf } from '@skiff/api';
import type { ListOptions, WriteOp } from './store.js';

/** etcd's default `--max-txn-ops`: a larger transaction is rejected by the server. */
export const MAX_TXN_OPS = 128;

/** What a compare-and-swap compares against: the key's mod revision, when it exists. */
export interface CurrentRevision {
  readonly modRevision: number;
}

export function requireRevision(revision: number, what: string): void {
  // A missing key has mod revision 0 in etcd compares: "update if revision 0"
  // would quietly create the key. Only real revisions are accepted.
  if (!Number.isSafeInteger(revision) || revision <= 0) {
    throw new InvalidError(`${what}: expected revision must be a positive integer, got ${revision}`);
  }
}

/** A lease id is a positive decimal integer; "0" (no lease) only where a write may detach one. */
export function requireLeaseId(lease: string, allowZero = false): void {
  if (!/^\d+$/.test(lease) || (!allowZero && /^0+$/.test(lease))) {
    throw new InvalidError(`"${lease}" is not a lease id (a positive decimal integer)`);
  }
}

export function requireLeaseTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new InvalidError(`lease TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
}

export function requireWatchRevision(afterRevision: number): void {
  if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
    throw new InvalidError(`watch revision must be a non-negative integer, got ${afterRevision}`);
  }
}

export function requireCompactionRevision(revision: number): void {
  if (!Number.isSafeInteger(revision) || revision <= 0) {
    throw new InvalidError(`compaction revision must be a positive integer, got ${revision}`);
  }
}

/** The paging options of a list (store.ts ListOptions), checked before anything is read. */
export function requireListOptions(prefix: string, options: ListOptions): void {
  const { limit, fromKey, revision } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new InvalidError(`list of "${prefix}": limit must be a positive integer, got ${limit}`);
  }
  if (revision !== undefined && (!Number.isSafeInteger(revision) || revision <= 0)) {
    throw new InvalidError(`list of "${prefix}": revision must be a positive integer, got ${revision}`);
  }
  // A start before the prefix would range over keys outside it.
  if (fromKey !== undefined && !fromKey.startsWith(prefix)) {
    throw new InvalidError(`list of "${prefix}": fromKey ${JSON.stringify(fromKey)} is not under the prefix`);
  }
}

/**
 * A list at a revision whose history is gone. etcd does not say where it
 * compacted, so the compact revision given is the least it can be.
 */
export function compactedList(revision: number): CompactedError {
  return new CompactedError(`cannot list at revision ${revision}: the store's history there has been compacted`, revision + 1);
}

export function futureListRevision(revision: number): InvalidError {
  return new InvalidError(`cannot list at revision ${revision}: it is a future revision`);
}

/** Size, duplicate keys and expected revisions of a batch, checked before anything is sent. */
export function checkBatch(ops: readonly WriteOp[]): void {
  if (ops.length > MAX_TXN_OPS) {
    throw new InvalidError(`a batch holds at most ${MAX_TXN_OPS} operations (etcd's max-txn-ops); got ${ops.length}`);
  }
  const seen = new Set<string>();
  ops.forEach((op, index) => {
    // etcd rejects a transaction that writes one key twice; say which op.
    if (seen.has(op.key)) throw new InvalidError(`batch op ${index} writes ${op.key} a second time`);
    seen.add(op.key);
    if (op.op !== 'create') requireRevision(op.expectedRevision, `batch op ${index} (${op.op} ${op.key})`);
  });
}

export function alreadyExists(key: string, current: CurrentRevision | undefined): AlreadyExistsError {
  return new AlreadyExistsError(`${key} already exists${current ? ` (mod revision ${current.modRevision})` : ''}`);
}

/** The error of an update or delete whose expected revision did not hold. */
export function casFailure(key: string, expectedRevision: number, current: CurrentRevision | undefined): Error {
  if (!current) return new NotFoundError(`${key} not found`);
  return new ConflictError(
    `${key} changed: expected revision ${expectedRevision}, current revision ${current.modRevision}`,
    current.modRevision,
  );
}

/** Why `op` would fail against the key's `current` state, or undefined if it would not. */
function expectationProblem(op: WriteOp, current: CurrentRevision | undefined): string | undefined {
  if (op.op === 'create') {
    return current ? `already exists (mod revision ${current.modRevision})` : undefined;
  }
  if (!current) return 'not found';
  return current.modRevision === op.expectedRevision
    ? undefined
    : `expected revision ${op.expectedRevision}, current revision ${current.modRevision}`;
}

/** The first op of a batch whose expectation fails against `currentOf`, as the error to throw. */
export function batchConflict(
  ops: readonly WriteOp[],
  currentOf: (op: WriteOp, index: number) => CurrentRevision | undefined,
): BatchConflictError | undefined {
  for (const [index, op] of ops.entries()) {
    const problem = expectationProblem(op, currentOf(op, index));
    if (problem !== undefined) return new BatchConflictError(`batch op ${index} (${op.op} ${op.key}): ${problem}`, index);
  }
  return undefined;
}

export function leaseNotFound(operation: string, cause?: unknown): NotFoundError {
  return new NotFoundError(`${operation}: lease not found (expired or revoked)`, cause === undefined ? undefined : { cause });
}

/** keepAliveLease of a lease that is gone. */
export function leaseExpired(lease: string): NotFoundError {
  return new NotFoundError(`lease ${lease} not found (expired or revoked)`);
}

export function futureRevision(revision: number): InvalidError {
  return new InvalidError(`cannot compact at ${revision}: it is a future revision`);
}

/** A watch ends with this when the caller's onEvent threw: "every event once" cannot hold any more. */
export function onEventThrew(prefix: string, error: unknown): Error {
  return new Error(`watch on "${prefix}": onEvent threw: ${messageOf(error)}`, { cause: error });
}
