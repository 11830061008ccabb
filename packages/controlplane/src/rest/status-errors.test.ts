import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ApplyConflictError, CompactedError, ConflictError, InvalidError, NotFoundError, PermissionDeniedError, UnsupportedPatchTypeError } from '@skiff/api';
import { ContinueExpiredError } from '../api/continue-token.js';
import { UnsupportedMediaTypeError } from './http-io.js';
import { toStatus } from './status-errors.js';

const log = pino({ level: 'silent' });
const target = { group: 'apps', resource: 'deployments', name: 'web' };

describe('errors as Kubernetes Status objects', () => {
  it('maps each typed error to its code and reason, with details of the target', () => {
    const cases = [
      [new NotFoundError('deployments "web" not found'), 404, 'NotFound'],
      [new AlreadyExistsError('exists'), 409, 'AlreadyExists'],
      [new ConflictError('stale'), 409, 'Conflict'],
      [new CompactedError('too old', 7), 410, 'Expired'],
      [new PermissionDeniedError('user "x" cannot delete deployments in namespace "shop"'), 403, 'Forbidden'],
      [new UnsupportedMediaTypeError('no'), 415, 'UnsupportedMediaType'],
      [new UnsupportedPatchTypeError('application/x-unknown-patch'), 415, 'UnsupportedMediaType'],
    ] as const;
    for (const [error, code, reason] of cases) {
      expect(toStatus(error, log, target)).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: error.message });
    }
    expect(toStatus(new NotFoundError('x'), log, target).details).toEqual({ name: 'web', group: 'apps', kind: 'deployments' });
  });

  it('answers a stale continue token 410 Expired, carrying the token that reads on at the latest revision', () => {
    const status = toStatus(new ContinueExpiredError('onward', 9), log, target);
    expect(status).toMatchObject({ code: 410, reason: 'Expired', metadata: { continue: 'onward' }, details: { kind: 'deployments' } });
    expect(status.message).toMatch(/^The continue token is too old/);
    expect(toStatus(new CompactedError('too old', 7), log).metadata).toEqual({});
  });

  it('answers a server-side apply conflict 409 Conflict with one FieldManagerConflict cause per field', () => {
    const causes = [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' }] as const;
    expect(toStatus(new ApplyConflictError(causes), log, target)).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
      details: { name: 'web', kind: 'deployments', causes },
    });
  });

  it('answers field errors 422 Invalid with one cause per field, and other bad input 400', () => {
    const status = toStatus(new InvalidError('Deployment "web" is invalid', ['spec.replicas: must be ≥ 0', 'no field here']), log);
    expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(status.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'must be ≥ 0' },
      { reason: 'FieldValueInvalid', message: 'no field here' },
    ]);
    expect(toStatus(new InvalidError('fieldSelector: bad'), log)).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('answers anything untyped 500 without its message', () => {
    const status = toStatus(new Error('secret internals'), log);
    expect(status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(status.message).not.toContain('secret');
  });
});
