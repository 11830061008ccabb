// Ending the gRPC streams EtcdStore opens (watches, lease keep-alives)
// without disturbing the other streams on the same connection.
import type { IDuplexStream } from 'etcd3';

export type Stream<Req, Res> = IDuplexStream<Req, Res>;

/** How long shutdownStream waits for a cancelled gRPC stream to report its final status. */
const STREAM_SHUTDOWN_MS = 1_000;

/**
 * Ends a gRPC stream we opened and resolves once it has reported its final
 * status (or after a short grace).
 */
export function shutdownStream<Req, Res>(stream: Stream<Req, Res>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STREAM_SHUTDOWN_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('status', done);
    stream.on('error', done);
    terminateStream(stream);
  });
}

/**
 * Half-closes, then cancels. Half-closing first matters: etcd3 marks the host
 * failed — closing every channel to it, other watches' included — when a
 * stream errors while still writable, and our own cancel() would otherwise
 * count as such an error.
 */
export function terminateStream<Req, Res>(stream: Stream<Req, Res>): void {
  try {
    stream.end();
  } catch {
    // Already ended.
  }
  try {
    stream.cancel();
  } catch {
    // Already finished.
  }
}
