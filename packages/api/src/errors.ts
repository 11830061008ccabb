// One error vocabulary for every Skiff process. An error raised on purpose
// carries the gRPC status it maps to; each process turns errors into wire
// statuses in exactly one place (the control plane's grpc/status.ts, the
// agent's gRPC services), and anything that is not a SkiffError is a bug.
import { status } from '@grpc/grpc-js';

export abstract class SkiffError extends Error {
  abstract readonly code: status;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: `details` are field-path messages (`spec.replicas: must be ≥ 0`). */
export class InvalidError extends SkiffError {
  readonly code = status.INVALID_ARGUMENT;
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
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
  constructor(
    message: string,
    readonly currentRevision?: number,
  ) {
    super(message);
  }
}

/** An atomic batch failed because op `index` did not find what it expected. */
export class BatchConflictError extends ConflictError {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

/** The requested revision was compacted away: list again. */
export class CompactedError extends SkiffError {
  readonly code = status.OUT_OF_RANGE;
  constructor(
    message: string,
    readonly compactRevision: number,
  ) {
    super(message);
  }
}

/** A dependency (etcd, an agent, a registry) cannot be reached now; retrying may help. */
export class UnavailableError extends SkiffError {
  readonly code = status.UNAVAILABLE;
}

export class FailedPreconditionError extends SkiffError {
  readonly code = status.FAILED_PRECONDITION;
}

export class DeadlineExceededError extends SkiffError {
  readonly code = status.DEADLINE_EXCEEDED;
}

/** The message of anything thrown, for wrapping errors with context. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The gRPC code a failure carries (a SkiffError, or a grpc-js ServiceError), if any. */
export function grpcCodeOf(error: unknown): status | undefined {
  if (error instanceof SkiffError) return error.code;
  if (error instanceof Error && 'code' in error && typeof error.code === 'number' && error.code in status) {
    return error.code as status;
  }
  return undefined;
}

/** The caller did not prove who it is (no client certificate, a bad or expired token…). */
export class UnauthenticatedError extends SkiffError {
  readonly code = status.UNAUTHENTICATED;
}

/** The caller is known but may not do this (RBAC, node restriction). */
export class PermissionDeniedError extends SkiffError {
  readonly code = status.PERMISSION_DENIED;
}
