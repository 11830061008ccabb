// The one place errors become gRPC statuses. Errors raised on purpose carry
// their code; anything else is a bug, logged with its stack and answered as
// INTERNAL without leaking internals to the client.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { InvalidError, SkiffError } from '../errors.js';

export function toServiceError(error: unknown, log: Logger, method: string): Partial<ServiceError> {
  if (error instanceof SkiffError) {
    const metadata = new Metadata();
    if (error instanceof InvalidError && error.details.length > 0) {
      metadata.set('skiff-field-errors-bin', Buffer.from(JSON.stringify(error.details)));
    }
    return { code: error.code, details: error.message, metadata };
  }
  log.error({ err: error, method }, 'unexpected error while serving a request');
  return { code: status.INTERNAL, details: `internal error in ${method}; the control plane log has the details` };
}

export function codeOf(error: Partial<ServiceError> | null): status {
  return error?.code ?? status.OK;
}
