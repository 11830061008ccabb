// Promise wrapper for a unary gRPC call with a deadline.
import type { CallOptions, ServiceError } from '@grpc/grpc-js';

const DEADLINE_MS = 10_000;

export function unary<T>(invoke: (callback: (error: ServiceError | null, value?: T) => void, options: CallOptions) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    invoke(
      (error, value) => (error ? reject(error) : resolve(value as T)),
      { deadline: new Date(Date.now() + DEADLINE_MS) },
    );
  });
}
