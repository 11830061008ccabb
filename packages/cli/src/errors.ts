// CLI errors: what went wrong, phrased for a person, with kubectl's exit codes
// (1 for every failure). Server errors keep kubectl's "Error from server (Reason)".
import { status, type ServiceError } from '@grpc/grpc-js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const REASONS: Partial<Record<status, string>> = {
  [status.INVALID_ARGUMENT]: 'Invalid',
  [status.NOT_FOUND]: 'NotFound',
  [status.ALREADY_EXISTS]: 'AlreadyExists',
  [status.ABORTED]: 'Conflict',
  [status.FAILED_PRECONDITION]: 'Forbidden',
  [status.OUT_OF_RANGE]: 'Expired',
  [status.RESOURCE_EXHAUSTED]: 'RequestEntityTooLarge',
  [status.DEADLINE_EXCEEDED]: 'Timeout',
  [status.INTERNAL]: 'InternalError',
};

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'details' in error;
}

/** A failure the server answered with; keeps its gRPC code for callers that care. */
export class ServerError extends CliError {
  constructor(
    message: string,
    readonly code: status,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** Turns a gRPC failure into the line a kubectl user would recognise. */
export function explainServiceError(error: ServiceError, server: string): ServerError {
  if (error.code === status.UNAVAILABLE) {
    return new ServerError(
      `cannot reach the Skiff control plane at ${server} (${error.details}); is it running? Point ctl elsewhere with --server, SKIFF_SERVER or ~/.skiff/config.yaml`,
      error.code,
    );
  }
  const reason = REASONS[error.code] ?? status[error.code] ?? 'Unknown';
  return new ServerError(`Error from server (${reason}): ${error.details}`, error.code);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ServerError && error.code === status.NOT_FOUND;
}
