// The one place errors become Kubernetes Status objects and HTTP codes, as
// grpc/status.ts is for gRPC: an error raised on purpose carries its gRPC
// code, which names the Status reason; anything else is a bug, logged with its
// stack and answered 500 without leaking internals.
import { status as grpcStatus } from '@grpc/grpc-js';
import { ApplyConflictError, grpcCodeOf, InvalidError, UnsupportedPatchTypeError } from '@skiff/api';
import type { Logger } from 'pino';
import { ContinueExpiredError } from '../api/continue-token.js';
import { BodyTooLargeError, UnsupportedMediaTypeError } from './http-io.js';

export interface StatusCause {
  readonly field?: string;
  readonly message: string;
  readonly reason?: string;
}

/** Kubernetes' metav1.Status, as kubectl reads it (`Error from server (NotFound): …`). */
export interface KubernetesStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  /** Only a 410 for a stale continue token has any: the token that reads on at the latest revision. */
  readonly metadata: { readonly continue?: string };
  readonly status: 'Success' | 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
  };
  readonly code: number;
}

/** What the request was about, for details.{name, group, kind}. */
export interface StatusTarget {
  readonly group?: string;
  /** The plural, as Kubernetes puts it in details.kind. */
  readonly resource?: string;
  readonly name?: string;
}

const REASONS: ReadonlyMap<grpcStatus, readonly [number, string]> = new Map([
  [grpcStatus.NOT_FOUND, [404, 'NotFound']],
  [grpcStatus.ALREADY_EXISTS, [409, 'AlreadyExists']],
  [grpcStatus.ABORTED, [409, 'Conflict']],
  [grpcStatus.OUT_OF_RANGE, [410, 'Expired']],
  [grpcStatus.UNAUTHENTICATED, [401, 'Unauthorized']],
  [grpcStatus.PERMISSION_DENIED, [403, 'Forbidden']],
  [grpcStatus.FAILED_PRECONDITION, [400, 'BadRequest']],
  [grpcStatus.UNAVAILABLE, [503, 'ServiceUnavailable']],
  [grpcStatus.DEADLINE_EXCEEDED, [504, 'Timeout']],
  [grpcStatus.RESOURCE_EXHAUSTED, [429, 'TooManyRequests']],
  [grpcStatus.UNIMPLEMENTED, [405, 'MethodNotAllowed']],
]);

/** A Status for a failure the front door itself names (415, 405, 404 of a path). */
export function failureStatus(code: number, reason: string, message: string, details?: KubernetesStatus['details']): KubernetesStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export function toStatus(error: unknown, log: Logger, target: StatusTarget = {}): KubernetesStatus {
  const code = grpcCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const details = {
    ...(target.name ? { name: target.name } : {}),
    ...(target.group ? { group: target.group } : {}),
    ...(target.resource ? { kind: target.resource } : {}),
  };
  if (code === grpcStatus.INVALID_ARGUMENT) {
    // Field errors are 422 Invalid (kubectl prints each cause); a request that is malformed as a whole is 400.
    const fieldErrors = error instanceof InvalidError ? error.details : [];
    if (fieldErrors.length === 0) return failureStatus(400, 'BadRequest', message, withDetails(details));
    return failureStatus(422, 'Invalid', message, { ...details, causes: fieldErrors.map(causeOf) });
  }
  // Server-side apply's conflicts: kubectl prints the message and its --force-conflicts advice.
  if (error instanceof ApplyConflictError) return failureStatus(409, 'Conflict', message, { ...details, causes: error.causes });
  if (error instanceof UnsupportedMediaTypeError || error instanceof UnsupportedPatchTypeError) return failureStatus(415, 'UnsupportedMediaType', message);
  if (error instanceof BodyTooLargeError) return failureStatus(413, 'RequestEntityTooLarge', message);
  if (error instanceof ContinueExpiredError) return { ...failureStatus(410, 'Expired', message, withDetails(details)), metadata: { continue: error.continueToken } };
  const known = code === undefined ? undefined : REASONS.get(code);
  if (known) return failureStatus(known[0], known[1], message, withDetails(details));
  log.error({ err: error }, 'unexpected error while serving a REST request');
  return failureStatus(500, 'InternalError', 'internal error; the control plane log has the details');
}

function withDetails(details: NonNullable<KubernetesStatus['details']>): KubernetesStatus['details'] {
  return Object.keys(details).length > 0 ? details : undefined;
}

/** `spec.replicas: must be ≥ 0` → {field: spec.replicas, message: must be ≥ 0}. */
export function causeOf(detail: string): StatusCause {
  const match = /^([A-Za-z0-9_.[\]"'/-]+): (.*)$/s.exec(detail);
  if (!match?.[1] || match[2] === undefined) return { reason: 'FieldValueInvalid', message: detail };
  return { reason: 'FieldValueInvalid', field: match[1], message: match[2] };
}
