import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CliError, explainServiceError, isNotFound, isServiceError, ServerError } from './errors.js';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('explainServiceError', () => {
  it("words a server answer as kubectl's Error from server (Reason)", () => {
    const error = explainServiceError(serviceError(status.NOT_FOUND, 'deployments.apps "web" in namespace "default" not found'), '127.0.0.1:7400');
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
    [status.PERMISSION_DENIED, 'PERMISSION_DENIED'],
  ])('names gRPC code %i as %s', (code, reason) => {
    expect(explainServiceError(serviceError(code, 'details'), 'x:1').message).toBe(`Error from server (${reason}): details`);
  });

  it('says Unknown for a code gRPC does not define', () => {
    expect(explainServiceError(serviceError(99 as status, 'odd'), 'x:1').message).toBe('Error from server (Unknown): odd');
  });

  it('says where it looked and how to point elsewhere when the control plane is unreachable', () => {
    const error = explainServiceError(serviceError(status.UNAVAILABLE, 'No connection established'), '10.0.0.9:7400');
    expect(error.message).toBe(
      'cannot reach the Skiff control plane at 10.0.0.9:7400 (No connection established); is it running? ' +
        'Point ctl elsewhere with --server, SKIFF_SERVER or ~/.skiff/config.yaml',
    );
    expect(error.code).toBe(status.UNAVAILABLE);
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
