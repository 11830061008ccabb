// Serving a server-streaming watch over gRPC, once for every such method
// (Watch for ctl, WatchAssignments for agents): open the session, forward what
// it sends, close it when the client leaves, map its end to a status, and let
// the server end every open stream at shutdown instead of waiting on them.
import { UnavailableError } from '@skiff/api';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { WatchHandle } from '../store/store.js';
import { codeOf, toServiceError } from './status.js';
import type { Caller } from './request-guard.js';
import type { HandlerContext } from './unary-handler.js';
import { startWatchSession, type WatchOutput, type WatchSessionOptions } from '../api/watch-session.js';
import type { ObjectStore } from '../objects/object-store.js';

/** The open streams, so shutdown can end them (clients reconnect elsewhere or later). */
export class OpenStreams {
  private readonly ends = new Set<(error: Error) => void>();

  add(end: (error: Error) => void): () => void {
    this.ends.add(end);
    return () => this.ends.delete(end);
  }

  endAll(reason: string): void {
    for (const end of [...this.ends]) end(new UnavailableError(reason));
  }
}

export interface WatchStreamContext extends HandlerContext {
  readonly objects: ObjectStore;
  readonly streams: OpenStreams;
}

export function serveWatchStream<Req, Res>(
  context: WatchStreamContext,
  method: string,
  call: ServerWritableStream<Req, Res>,
  describe: (request: Req, caller: Caller) => WatchSessionOptions,
  encode: (output: { write(message: Res): void }) => WatchOutput['send'],
  synced?: (output: { write(message: Res): void }) => NonNullable<WatchOutput['synced']>,
): void {
  const done = context.metrics.start(method);
  let handle: WatchHandle | undefined;
  let finished = false;
  const forget = context.streams.add((error) => finish(error));
  const finish = (error?: unknown): void => {
    if (finished) return;
    finished = true;
    forget();
    void handle?.close();
    if (error === undefined) return done(status.CANCELLED);
    const serviceError = toServiceError(error, context.log, method);
    done(codeOf(serviceError));
    // emit, not destroy: grpc-js sends the status from the stream's end, which a destroyed stream never reaches.
    call.emit('error', Object.assign(new Error(serviceError.details), serviceError));
  };
  call.on('cancelled', () => finish());
  call.on('error', () => finish());
  const writer = { write: (message: Res) => (finished ? undefined : void call.write(message)) };
  const start = async (): Promise<void> => {
    const caller = await context.guard.open(call);
    const session = await startWatchSession(context.objects, describe(call.request, caller), {
      send: encode(writer),
      ...(synced ? { synced: synced(writer) } : {}),
      end: (error) => finish(error),
    });
    if (finished) void session.close();
    else handle = session;
  };
  start().catch((error: unknown) => finish(error));
}
