import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CliError, explainServiceError, isNotFound, isServiceError, QuietFailure, ServerError } from './errors.js';

const TLS = { where: '10.0.0.9:7400 (context "skiff" of ~/.skiff/config)' };

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('explainServiceError', () => {
  it("words a server answer as kubectl's Error from server (Reason)", () => {
    const error = explainServiceError(serviceError(status.NOT_FOUND, 'deployments.apps "web" in namespace "default" not found'), TLS);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toBe('Error from server (NotFound): deployments.apps "web" in namespace "default" not found');
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.exitCode).toBe(1);
  });

  it.each([
    [status.INVALID_ARGUMENT, 'Invalid'],
    [status.ALREADY_EXISTS, 'AlreadyExists'],
    [status.ABORTED, 'Conflict'],
    [status.FAILED_PRECONDITION, 'Forbidden'],
    [status.OUT_OF_RANGE, 'Expired'],
    [status.RESOURCE_EXHAUSTED, 'RequestEntityTooLarge'],
    [status.DEADLINE_EXCEEDED, 'Timeout'],
    [status.INTERNAL, 'InternalError'],
    [status.PERMISSION_DENIED, 'Forbidden'],
    [status.UNIMPLEMENTED, 'UNIMPLEMENTED'],
  ])('names gRPC code %i as %s', (code, reason) => {
    expect(explainServiceError(serviceError(code, 'details'), TLS).message).toBe(`Error from server (${reason}): details`);
  });

  it('says Unknown for a code gRPC does not define', () => {
    expect(explainServiceError(serviceError(99 as status, 'odd'), TLS).message).toBe('Error from server (Unknown): odd');
  });

  it("says which server it tried and from where, what to check, and how to point elsewhere when it cannot reach it", () => {
    const error = explainServiceError(serviceError(status.UNAVAILABLE, 'No connection established'), TLS);
    expect(error.message).toBe(
      'cannot reach the Skiff control plane at 10.0.0.9:7400 (context "skiff" of ~/.skiff/config): No connection established; ' +
        "is it running, and is its certificate signed by the cluster's CA? " +
        'Point ctl elsewhere with --context NAME, --kubeconfig FILE or --server https://HOST:PORT',
    );
    expect(error.code).toBe(status.UNAVAILABLE);
  });

  it('says "You must be logged in" for UNAUTHENTICATED, as kubectl does for Unauthorized', () => {
    const error = explainServiceError(serviceError(status.UNAUTHENTICATED, 'no client certificate and no bearer token'), TLS);
    expect(error.message).toBe('error: You must be logged in to the server (Unauthorized): no client certificate and no bearer token');
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });
});

describe('QuietFailure', () => {
  it('carries only an exit code: what it had to say is already printed', () => {
    const quiet = new QuietFailure();
    expect(quiet).toBeInstanceOf(CliError);
    expect([quiet.message, quiet.exitCode]).toEqual(['', 1]);
  });
});

describe('isServiceError and isNotFound', () => {
  it('knows a gRPC failure from other errors', () => {
    expect(isServiceError(serviceError(status.NOT_FOUND, 'gone'))).toBe(true);
    expect(isServiceError(new Error('plain'))).toBe(false);
    expect(isServiceError({ code: status.NOT_FOUND, details: 'not an Error' })).toBe(false);
  });

  it('is true only for an explained NOT_FOUND', () => {
    expect(isNotFound(new ServerError('Error from server (NotFound): x', status.NOT_FOUND))).toBe(true);
    expect(isNotFound(new ServerError('Error from server (Conflict): x', status.ABORTED))).toBe(false);
    expect(isNotFound(serviceError(status.NOT_FOUND, 'raw'))).toBe(false);
  });
});
