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

/** A failure already told on stdout (`ctl auth can-i` printing "no"): only the exit code is left to give. */
export class QuietFailure extends CliError {
  constructor(exitCode = 1) {
    super('', exitCode);
    this.name = 'QuietFailure';
  }
}

const REASONS: Partial<Record<status, string>> = {
  [status.INVALID_ARGUMENT]: 'Invalid',
  [status.NOT_FOUND]: 'NotFound',
  [status.ALREADY_EXISTS]: 'AlreadyExists',
  [status.ABORTED]: 'Conflict',
  [status.FAILED_PRECONDITION]: 'Forbidden',
  [status.PERMISSION_DENIED]: 'Forbidden',
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

/** Where ctl was talking to, for the "cannot reach" message. */
export interface ServerDescription {
  /** The address and where it came from: `10.0.0.5:7400 (context "skiff" of ~/.skiff/config)`. */
  readonly where: string;
}

/** Turns a gRPC failure into the line a kubectl user would recognise. */
export function explainServiceError(error: ServiceError, server: ServerDescription): ServerError {
  if (error.code === status.UNAVAILABLE) {
    return new ServerError(
      `cannot reach the Skiff control plane at ${server.where}: ${error.details}; is it running, and is its certificate signed by the cluster's CA? ` +
        'Point ctl elsewhere with --context NAME, --kubeconfig FILE or --server https://HOST:PORT',
      error.code,
    );
  }
  if (error.code === status.UNAUTHENTICATED) {
    return new ServerError(`error: You must be logged in to the server (Unauthorized): ${error.details}`, error.code);
  }
  const reason = REASONS[error.code] ?? status[error.code] ?? 'Unknown';
  return new ServerError(`Error from server (${reason}): ${error.details}`, error.code);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ServerError && error.code === status.NOT_FOUND;
}
