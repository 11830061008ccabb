// gRPC calls as promises, for suites that talk to the servers directly (with
// their own credentials and metadata), and the status a refused call ended
// with, in a shape one `toEqual` can check.
import { Metadata, status, type CallOptions, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { waitFor } from '@skiff/testkit';

const DEADLINE_MS = 15_000;

const options = (): CallOptions => ({ deadline: new Date(Date.now() + DEADLINE_MS) });

/** A unary call: `invoke` passes metadata, options and callback to the generated client method. */
export function unary<T>(
  invoke: (metadata: Metadata, options: CallOptions, callback: (error: ServiceError | null, value?: T) => void) => unknown,
  metadata: Metadata = new Metadata(),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    invoke(metadata, options(), (error, value) => (error ? reject(error) : resolve(value as T)));
  });
}

/** The first message of a server stream, or the error it ended with; the stream is cancelled after. */
export function firstMessage<T>(open: (metadata: Metadata, options: CallOptions) => ClientReadableStream<T>, metadata: Metadata = new Metadata()): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stream = open(metadata, options());
    stream.once('data', (message: T) => {
      resolve(message);
      stream.cancel();
    });
    stream.once('error', reject);
    stream.once('end', () => reject(new Error('the stream ended without a message')));
    // After cancel() the stream reports CANCELLED; the promise is settled by then.
    stream.on('error', () => undefined);
  });
}

/** Every read of a server stream until it ends. */
export function allMessages<T>(open: (metadata: Metadata, options: CallOptions) => ClientReadableStream<T>, metadata: Metadata = new Metadata()): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const messages: T[] = [];
    const stream = open(metadata, options());
    stream.on('data', (message: T) => messages.push(message));
    stream.once('error', reject);
    stream.once('end', () => resolve(messages));
  });
}

export interface Refusal {
  /** The status by name: "UNAUTHENTICATED", "PERMISSION_DENIED"… */
  readonly code: string;
  /** What the server (or grpc-js, for a transport failure) said. */
  readonly details: string;
}

/** How a call that must fail failed; a call that succeeds fails the test. */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  let value: unknown;
  try {
    value = await call;
  } catch (error) {
    const { code, details } = error as Partial<ServiceError>;
    if (typeof code !== 'number') throw error;
    return { code: status[code] ?? String(code), details: details ?? '' };
  }
  throw new Error(`expected the call to be refused, but it answered ${JSON.stringify(value)?.slice(0, 300)}`);
}

/**
 * Repeats a read-only call until it is refused, and returns how: the control
 * plane decides from caches that learn of a deletion a moment after it, and a
 * write probe could land in that moment.
 */
export function refusedSoon(call: () => Promise<unknown>, description: string): Promise<Refusal> {
  return waitFor(() => refusal(call()), { timeoutMs: 10_000, intervalMs: 50, description });
}

/** Metadata carrying these `authorization` values, in order (several: a hostile client's). */
export function authorization(...values: readonly string[]): Metadata {
  const metadata = new Metadata();
  for (const value of values) metadata.add('authorization', value);
  return metadata;
}

export const bearer = (token: string): Metadata => authorization(`Bearer ${token}`);
