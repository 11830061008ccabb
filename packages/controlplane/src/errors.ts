// Every error the control plane raises on purpose carries the gRPC status it
// maps to; api/status.ts turns them into responses in one place.
import { status } from '@grpc/grpc-js';

export abstract class SkiffError extends Error {
  abstract readonly code: status;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidError extends SkiffError {
  readonly code = status.INVALID_ARGUMENT;
  constructor(message: string, readonly details: readonly string[] = []) {
    super(message);
  }
}

export class NotFoundError extends SkiffError {
  readonly code = status.NOT_FOUND;
}

export class AlreadyExistsError extends SkiffError {
  readonly code = status.ALREADY_EXISTS;
}

/** A compare-and-swap lost: the object changed since the revision the writer expected. */
export class ConflictError extends SkiffError {
  readonly code = status.ABORTED;
  constructor(message: string, readonly currentRevision?: number) {
    super(message);
  }
}

/** An atomic batch failed because op `index` did not find what it expected. */
export class BatchConflictError extends ConflictError {
  constructor(message: string, readonly index: number) {
    super(message);
  }
}

/** The requested revision was compacted away: list again. */
export class CompactedError extends SkiffError {
  readonly code = status.OUT_OF_RANGE;
  constructor(message: string, readonly compactRevision: number) {
    super(message);
  }
}

export class StoreUnavailableError extends SkiffError {
  readonly code = status.UNAVAILABLE;
}

export class FailedPreconditionError extends SkiffError {
  readonly code = status.FAILED_PRECONDITION;
}
