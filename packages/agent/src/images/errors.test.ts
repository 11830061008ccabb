import { status } from '@grpc/grpc-js';
import { SkiffError, grpcCodeOf } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { ImagePullError, isImagePullError } from './errors.js';

describe('ImagePullError', () => {
  it('is a SkiffError whose gRPC status follows from its reason', () => {
    const error = new ImagePullError('unreachable', 'busybox', 'ECONNREFUSED', { cause: new Error('socket') });
    expect(error).toBeInstanceOf(SkiffError);
    expect(error.name).toBe('ImagePullError');
    expect(error.message).toBe('failed to pull image "busybox": registry unreachable: ECONNREFUSED');
    expect(error.cause).toBeInstanceOf(Error);
    expect(grpcCodeOf(error)).toBe(status.UNAVAILABLE);
    expect(new ImagePullError('not-found', 'busybox', 'x').code).toBe(status.NOT_FOUND);
    expect(new ImagePullError('not-present', 'busybox', 'x').code).toBe(status.FAILED_PRECONDITION);
    expect(new ImagePullError('digest-mismatch', 'busybox', 'x').code).toBe(status.DATA_LOSS);
    expect(new ImagePullError('invalid-reference', 'busybox', 'x').code).toBe(status.INVALID_ARGUMENT);
  });

  it('is recognised by isImagePullError, optionally for one reason', () => {
    const error = new ImagePullError('unauthorized', 'busybox', 'HTTP 401');
    expect(isImagePullError(error)).toBe(true);
    expect(isImagePullError(error, 'unauthorized')).toBe(true);
    expect(isImagePullError(error, 'not-found')).toBe(false);
    expect(isImagePullError(new Error('unauthorized'))).toBe(false);
  });
});
