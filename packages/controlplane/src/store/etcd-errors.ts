// How failures of etcd3 and grpc-js calls map to @skiff/api's vocabulary.
// etcd3 casts a unary call's grpc-js error to one of its classes (GRPC*Error,
// Etcd*Error); stream errors reach us raw, with their grpc-js `code`. Both
// shapes are classified here, by class or by code.
import { status } from '@grpc/grpc-js';
import {
  ClientClosedError,
  EtcdLeaseInvalidError,
  GRPCGenericError,
  GRPCOutOfRangeError,
  GRPCUnavailableError,
  castGrpcError,
  isRecoverableError,
} from 'etcd3';
import { SkiffError, UnavailableError, grpcCodeOf, messageOf } from '@skiff/api';
import { leaseNotFound } from './store-rules.js';

/** The codes of etcd3's recoverable classes, for raw grpc-js errors etcd3 did not cast. */
const TRANSIENT_CODES: ReadonlySet<status> = new Set([
  status.CANCELLED,
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
  status.INTERNAL,
  status.UNAVAILABLE,
]);

/**
 * Connection failures etcd3 could not classify. etcd3's castGrpcError turns
 * an error without a numeric gRPC code (a Node.js socket error) into a
 * GRPCGenericError built from its message alone, dropping the errno `code`:
 * the message is all that is left to recognise it by.
 */
const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|No connection/i;

/** An etcd3 class instance for a raw grpc-js error (stream errors arrive uncast). */
export function typedGrpcError(error: unknown): unknown {
  return error instanceof Error ? castGrpcError(error) : error;
}

/** The request never reached a server (UNAVAILABLE): sending it again is safe, even a write. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof GRPCUnavailableError || grpcCodeOf(error) === status.UNAVAILABLE;
}

/** Network trouble or an etcd that cannot serve right now (no leader, timeouts, overload). */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isRecoverableError(error)) return true; // etcd3's UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, CANCELLED, UNKNOWN, …
  const code = grpcCodeOf(error);
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  return error instanceof GRPCGenericError && CONNECTION_FAILURE.test(error.message);
}

// etcd answers a read at (or a compaction to) a compacted revision, and one at
// a future revision, both with OUT_OF_RANGE (etcd3: GRPCOutOfRangeError) and
// no other detail (etcd's ErrGRPCCompacted and ErrGRPCFutureRev): only the
// message tells the two apart.
function isOutOfRange(error: unknown): error is Error {
  return error instanceof GRPCOutOfRangeError || (error instanceof Error && grpcCodeOf(error) === status.OUT_OF_RANGE);
}

export function isCompacted(error: unknown): boolean {
  return isOutOfRange(error) && /required revision has been compacted/.test(error.message);
}

export function isFutureRevision(error: unknown): boolean {
  return isOutOfRange(error) && /required revision is a future revision/.test(error.message);
}

export function closedError(endpointLabel: string, operation?: string, cause?: unknown): UnavailableError {
  const message = `${operation ? `${operation}: ` : ''}store for etcd at ${endpointLabel} is closed`;
  return new UnavailableError(message, cause === undefined ? undefined : { cause });
}

/**
 * The Store error for a failed etcd call: network and server unavailability →
 * UnavailableError naming the endpoint, a missing lease → NotFoundError,
 * anything else → an Error naming the operation. The original is the `cause`.
 */
export function toStoreError(operation: string, endpointLabel: string, error: unknown): Error {
  if (error instanceof SkiffError) return error;
  if (error instanceof ClientClosedError) return closedError(endpointLabel, operation, error);
  if (isUnavailable(error)) {
    return new UnavailableError(`${operation}: etcd at ${endpointLabel} is unavailable: ${messageOf(error)}`, { cause: error });
  }
  if (error instanceof EtcdLeaseInvalidError) return leaseNotFound(operation, error);
  return new Error(`${operation} on etcd at ${endpointLabel} failed: ${messageOf(error)}`, { cause: error });
}
