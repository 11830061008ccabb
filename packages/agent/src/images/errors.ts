// The one error type image handling throws, so the reconciler can turn any
// failure into a pod condition ("ErrImagePull", "ImagePullBackOff") without
// parsing messages: `reason` says what went wrong, `image` which image. It is
// a SkiffError, so the gRPC status it maps to follows from the reason.
import { status } from '@grpc/grpc-js';
import { SkiffError } from '@skiff/api/core';

export type ImagePullErrorReason =
  /** The reference string cannot be parsed. */
  | 'invalid-reference'
  /** Pull policy Never and the image is not in the local store. */
  | 'not-present'
  /** The registry (or archive) has no such repository, tag, manifest or blob. */
  | 'not-found'
  /** The registry refused our credentials (or anonymous access). */
  | 'unauthorized'
  /** No connection: DNS, refused, reset, TLS, timeout. */
  | 'unreachable'
  /** The registry answered with an unexpected status (5xx, 400…). */
  | 'registry-error'
  /** Content does not match the digest or size it was announced with. */
  | 'digest-mismatch'
  /** Malformed manifest, index, config or layer (including path traversal). */
  | 'invalid-image'
  /** Well-formed but not something we can run: no linux/amd64 entry, zstd layers, unknown media type. */
  | 'unsupported';

const PHRASES: Record<ImagePullErrorReason, string> = {
  'invalid-reference': 'invalid image reference',
  'not-present': 'image not present locally',
  'not-found': 'not found',
  unauthorized: 'unauthorized',
  unreachable: 'registry unreachable',
  'registry-error': 'registry error',
  'digest-mismatch': 'digest mismatch',
  'invalid-image': 'invalid image',
  unsupported: 'unsupported image',
};

/** The gRPC status each reason maps to. */
const CODES: Record<ImagePullErrorReason, status> = {
  'invalid-reference': status.INVALID_ARGUMENT,
  // The image must be loaded (or the policy changed) first.
  'not-present': status.FAILED_PRECONDITION,
  'not-found': status.NOT_FOUND,
  unauthorized: status.PERMISSION_DENIED,
  unreachable: status.UNAVAILABLE,
  // The registry failed to serve the request; a later pull (ImagePullBackOff) may succeed.
  'registry-error': status.UNAVAILABLE,
  'digest-mismatch': status.DATA_LOSS,
  'invalid-image': status.INVALID_ARGUMENT,
  // Well-formed, but not for this host (platform) or this agent (compression, media type).
  unsupported: status.FAILED_PRECONDITION,
};

export class ImagePullError extends SkiffError {
  readonly code: status;
  /** What went wrong without the image's name: "not found: manifest unknown" (kubelet's `Failed to pull image "X": …`). */
  readonly problem: string;

  constructor(
    readonly reason: ImagePullErrorReason,
    /** The image as the caller named it. */
    readonly image: string,
    /** What exactly failed, in words. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`failed to pull image "${image}": ${PHRASES[reason]}: ${detail}`, options);
    this.code = CODES[reason];
    this.problem = `${PHRASES[reason]}: ${detail}`;
  }
}

export function isImagePullError(error: unknown, reason?: ImagePullErrorReason): error is ImagePullError {
  return error instanceof ImagePullError && (reason === undefined || error.reason === reason);
}
