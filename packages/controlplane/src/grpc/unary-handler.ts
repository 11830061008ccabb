// Every unary gRPC method is served the same way: authenticate the caller,
// run, time, count, audit, and map errors to statuses in one place. Handlers
// authorize through the Caller with what the request does.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ApiMetrics } from './api-metrics.js';
import type { Caller, RequestGuard } from './request-guard.js';
import { codeOf, toServiceError } from './status.js';

export interface HandlerContext {
  readonly metrics: ApiMetrics;
  readonly log: Logger;
  readonly guard: RequestGuard;
}

export function unaryHandler<Req, Res>(
  context: HandlerContext,
  method: string,
  handle: (request: Req, caller: Caller) => Promise<Res>,
) {
  return serve<Req, Res>(context, method, async (call, remember) => {
    const caller = await context.guard.open(call);
    remember(caller);
    return handle(call.request, caller);
  });
}

/**
 * For the one call made before a caller has credentials (an agent's Join,
 * which proves a join token instead): the handler authenticates it itself.
 */
export function anonymousUnaryHandler<Req, Res>(
  context: HandlerContext,
  method: string,
  handle: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
) {
  return serve<Req, Res>(context, method, (call) => handle(call.request, call));
}

function serve<Req, Res>(
  context: HandlerContext,
  method: string,
  run: (call: ServerUnaryCall<Req, Res>, remember: (caller: Caller) => void) => Promise<Res>,
) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const done = context.metrics.start(method);
    const started = performance.now();
    let caller: Caller | undefined;
    const finish = (code: status): void => {
      done(code);
      context.guard.audit(method, caller, code, Math.round(performance.now() - started));
    };
    run(call, (known) => (caller = known)).then(
      (response) => {
        finish(status.OK);
        callback(null, response);
      },
      (error: unknown) => {
        const serviceError = toServiceError(error, context.log, method);
        finish(codeOf(serviceError));
        callback(serviceError);
      },
    );
  };
}
