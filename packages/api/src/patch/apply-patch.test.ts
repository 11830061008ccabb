import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { applyPatch, patchContentType, UnsupportedPatchTypeError } from './apply-patch.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } },
  },
};

describe('applyPatch', () => {
  it('applies a strategic merge patch with the kind schema (containers merged by name)', () => {
    const patched = applyPatch(
      'application/strategic-merge-patch+json',
      deployment,
      { spec: { template: { spec: { containers: [{ name: 'b', image: 'y2' }] } } } },
      'Deployment',
    );
    expect(patched['spec']).toEqual({
      replicas: 1,
      template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y2' }] } },
    });
  });

  it('applies an RFC 7386 merge patch: lists replaced, null deletes', () => {
    const patched = applyPatch(
      'application/merge-patch+json; charset=utf-8',
      deployment,
      { metadata: { labels: null }, spec: { template: { spec: { containers: [{ name: 'b', image: 'y2' }] } } } },
      'Deployment',
    );
    expect(patched['metadata']).toEqual({ name: 'web' });
    expect(patched['spec']).toEqual({ replicas: 1, template: { spec: { containers: [{ name: 'b', image: 'y2' }] } } });
    expect(deployment.metadata.labels).toEqual({ app: 'web' });
  });

  it('applies an RFC 6902 JSON patch, test operations included, without touching the original', () => {
    const patched = applyPatch(
      'application/json-patch+json',
      deployment,
      [
        { op: 'test', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'remove', path: '/spec/template/spec/containers/0' },
      ],
      'Deployment',
    );
    expect(patched['spec']).toEqual({ replicas: 3, template: { spec: { containers: [{ name: 'b', image: 'y' }] } } });
    expect(deployment.spec.replicas).toBe(1);
  });

  it('reports a failing JSON patch operation as InvalidError naming the operation, not the document', () => {
    const apply = (): unknown =>
      applyPatch('application/json-patch+json', { data: { password: 'hunter2' } }, [{ op: 'test', path: '/data/password', value: 'x' }], 'Secret');
    expect(apply).toThrow(InvalidError);
    expect(apply).toThrow(/operation 0 failed/);
    expect(apply).not.toThrow(/hunter2/);
  });

  it('refuses malformed bodies and results that are not objects', () => {
    expect(() => applyPatch('application/json-patch+json', deployment, { op: 'add' }, 'Deployment')).toThrow(/must be a list of operations/);
    expect(() => applyPatch('application/json-patch+json', deployment, [{ op: 'bogus', path: '/a' }], 'Deployment')).toThrow(InvalidError);
    expect(() => applyPatch('application/merge-patch+json', deployment, [1], 'Deployment')).toThrow(/must be a JSON object/);
    expect(() => applyPatch('application/json-patch+json', deployment, [{ op: 'replace', path: '', value: 3 }], 'Deployment')).toThrow(
      /must leave an object/,
    );
  });

  it('refuses other content types with UnsupportedPatchTypeError (the front door answers 415)', () => {
    for (const type of ['application/json', 'application/apply-patch+yaml', 'text/plain']) {
      expect(() => applyPatch(type, deployment, {}, 'Deployment')).toThrow(UnsupportedPatchTypeError);
    }
    expect(() => patchContentType('Application/JSON')).toThrow(/does not support patches of type "application\/json": use one of/);
    expect(patchContentType(' application/strategic-merge-patch+json ;charset=utf-8')).toBe('application/strategic-merge-patch+json');
  });
});
