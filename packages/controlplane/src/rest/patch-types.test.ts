import { describe, expect, it } from 'vitest';
import { InvalidError, kindInfo } from '@skiff/api';
import { BUILTIN_PATCH_ENGINES, JSON_PATCH, MERGE_PATCH, patchEngineFor, STRATEGIC_MERGE_PATCH, UnsupportedMediaTypeError } from './patch-types.js';

const info = kindInfo('ConfigMap');
const current = { metadata: { name: 'c', labels: { a: '1', b: '2' } }, data: { x: '1' } };

describe('patch engines by content type', () => {
  it('merge patch: sets, replaces and deletes with null (RFC 7386), leaving the current object alone', () => {
    const patched = patchEngineFor(BUILTIN_PATCH_ENGINES, MERGE_PATCH)(current, { metadata: { labels: { a: null, c: '3' } }, data: { x: '2' } }, info);
    expect(patched).toEqual({ metadata: { name: 'c', labels: { b: '2', c: '3' } }, data: { x: '2' } });
    expect(current.metadata.labels).toEqual({ a: '1', b: '2' });
  });

  it('JSON patch: applies operations in order (RFC 6902) and refuses a failed test as invalid', () => {
    const engine = patchEngineFor(BUILTIN_PATCH_ENGINES, JSON_PATCH);
    expect(engine(current, [{ op: 'add', path: '/data/y', value: '2' }, { op: 'remove', path: '/data/x' }], info)).toMatchObject({ data: { y: '2' } });
    expect(() => engine(current, [{ op: 'test', path: '/data/x', value: 'nope' }], info)).toThrow(InvalidError);
    expect(() => engine(current, { op: 'add' }, info)).toThrow(/must be a list of operations/);
    expect(current.data).toEqual({ x: '1' });
  });

  it('answers 415 for types without an engine (strategic merge until it is plugged in)', () => {
    expect(() => patchEngineFor(BUILTIN_PATCH_ENGINES, STRATEGIC_MERGE_PATCH)).toThrow(UnsupportedMediaTypeError);
    const withStrategic = new Map([...BUILTIN_PATCH_ENGINES, [STRATEGIC_MERGE_PATCH, () => ({ plugged: true })]]);
    expect(patchEngineFor(withStrategic, STRATEGIC_MERGE_PATCH)({}, {}, info)).toEqual({ plugged: true });
  });
});
