import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '@skiff/api';
import { bearerOf } from './request-guard.js';

function metadata(...values: string[]): Metadata {
  const md = new Metadata();
  for (const value of values) md.add('authorization', value);
  return md;
}

describe('bearerOf', () => {
  it('reads one bearer token, or none', () => {
    expect(bearerOf(metadata('Bearer abc.def'))).toBe('abc.def');
    expect(bearerOf(metadata())).toBeUndefined();
  });

  it('refuses other schemes, without echoing them', () => {
    expect(() => bearerOf(metadata('Basic c2VjcmV0'))).toThrow(new UnauthenticatedError('authorization: expected "Bearer <token>"'));
  });
});
