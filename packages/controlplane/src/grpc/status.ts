// The one place errors become gRPC statuses. Errors raised on purpose carry
// their code; anything else is a bug, logged with its stack and answered as
// INTERNAL without leaking internals to the client.
import { InvalidError, SkiffError } from '@skiff/api';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';

export function toServiceError(error: unknown, log: Logger, method: string): Partial<ServiceError> {
  if (error instanceof SkiffError) {
    const metadata = new Metadata();
    if (error instanceof InvalidError && error.details.length > 0) {
      const details = error.details.slice(0, MAX_FIELD_ERRORS).map((d) => headerSafe(d, MAX_FIELD_ERROR_CHARS));
      metadata.set('skiff-field-errors-bin', Buffer.from(JSON.stringify(details)));
    }
    return { code: error.code, details: headerSafe(error.message, MAX_DETAILS_CHARS), metadata };
  }
  log.error({ err: error, method }, 'unexpected error while serving a request');
  return { code: status.INTERNAL, details: `internal error in ${method}; the control plane log has the details` };
}

// Details and metadata travel in HTTP/2 trailers: past the peer's header list
// limit (64 KiB in Node) the whole connection is dropped, every other call on
// it included; and grpc-js's encodeURI throws, uncaught, on a lone surrogate.
const MAX_DETAILS_CHARS = 4 * 1024;
const MAX_FIELD_ERRORS = 20;
const MAX_FIELD_ERROR_CHARS = 256;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function headerSafe(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
  return cut.replace(LONE_SURROGATE, '\ufffd');
}

export function codeOf(error: Partial<ServiceError> | null): status {
  return error?.code ?? status.OK;
}
