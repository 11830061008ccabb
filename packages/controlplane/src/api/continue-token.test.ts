import { InvalidError } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue } from './continue-token.js';

const raw = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('continue tokens', () => {
  it('are the apiserver\'s: unpadded base64url JSON of version, revision and start key, and decode back', () => {
    const token = encodeContinue({ revision: 42, start: 'default/cm-3\0' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))).toEqual({ v: 'meta.k8s.io/v1', rv: 42, start: 'default/cm-3\0' });
    expect(decodeContinue(token)).toEqual({ revision: 42, start: 'default/cm-3\0' });
    // A leading slash is the apiserver's spelling too; a negative revision means "the latest".
    expect(decodeContinue(raw({ v: 'meta.k8s.io/v1', rv: -1, start: '/web\0' }))).toEqual({ revision: -1, start: 'web\0' });
    expect(decodeContinue(raw({ v: 'meta.k8s.io/v1', rv: -7, start: 'web' }))).toEqual({ revision: -1, start: 'web' });
  });

  it.each([
    ['garbage', 'not a token!'],
    ['padded base64', `${raw({ v: 'meta.k8s.io/v1', rv: 1, start: 'a' })}==`],
    ['not JSON', Buffer.from('{"v":').toString('base64url')],
    ['not an object', raw([1, 2])],
    ['another version', raw({ v: 'meta.k8s.io/v2', rv: 1, start: 'a' })],
    ['no revision', raw({ v: 'meta.k8s.io/v1', start: 'a' })],
    ['revision 0', raw({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' })],
    ['a fractional revision', raw({ v: 'meta.k8s.io/v1', rv: 1.5, start: 'a' })],
    ['an empty start', raw({ v: 'meta.k8s.io/v1', rv: 1, start: '' })],
    ['a start that climbs out of the prefix', raw({ v: 'meta.k8s.io/v1', rv: 1, start: '../secrets/x' })],
    ['a start with an empty segment', raw({ v: 'meta.k8s.io/v1', rv: 1, start: 'a//b' })],
    ['a start with a dot segment', raw({ v: 'meta.k8s.io/v1', rv: 1, start: 'a/./b' })],
    ['a start with a trailing slash', raw({ v: 'meta.k8s.io/v1', rv: 1, start: 'a/' })],
  ])('refuses %s with a 400 that says what to do', (_what, token) => {
    let thrown: unknown;
    try {
      decodeContinue(token);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidError);
    expect((thrown as Error).message).toMatch(/^continue: .*; pass the metadata\.continue of the previous page unchanged, or start a new list without continue$/);
  });
});
