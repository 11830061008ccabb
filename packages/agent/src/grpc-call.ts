// Promise wrapper for a unary gRPC call with a deadline, and a failed call's words.
import type { CallOptions, ServiceError } from '@grpc/grpc-js';
import { messageOf } from '@skiff/api/core';

const DEADLINE_MS = 10_000;

export function unary<T>(invoke: (callback: (error: ServiceError | null, value?: T) => void, options: CallOptions) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    invoke(
      (error, value) => (error ? reject(error) : resolve(value as T)),
      { deadline: new Date(Date.now() + DEADLINE_MS) },
    );
  });
}

/** A gRPC status's own words (its details, without grpc-js's "14 UNAVAILABLE: " prefix), or the message of anything else. */
export function detailsOf(error: unknown): string {
  if (error instanceof Error && 'details' in error && typeof error.details === 'string' && error.details !== '') return error.details;
  return messageOf(error);
}
