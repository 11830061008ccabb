// Every unary gRPC method is served the same way: run, time, count, and map
// errors to statuses in one place.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ApiMetrics } from './api-metrics.js';
import { codeOf, toServiceError } from './status.js';

export interface HandlerContext {
  readonly metrics: ApiMetrics;
  readonly log: Logger;
}

export function unaryHandler<Req, Res>(context: HandlerContext, method: string, handle: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const done = context.metrics.start(method);
    handle(call.request).then(
      (response) => {
        done(status.OK);
        callback(null, response);
      },
      (error: unknown) => {
        const serviceError = toServiceError(error, context.log, method);
        done(codeOf(serviceError));
        callback(serviceError);
      },
    );
  };
}
