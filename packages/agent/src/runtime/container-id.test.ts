import { describe, expect, it } from 'vitest';
import { assertValidContainerId, InvalidContainerIdError, isValidContainerId } from './container-id.js';

describe('container ids', () => {
  it('accepts runc-safe ids', () => {
    for (const id of ['a', 'pod-1234_web.v2', '0abc', 'A'.repeat(200)]) expect(isValidContainerId(id)).toBe(true);
  });

  it('rejects anything that could escape a path or upset runc', () => {
    for (const id of ['', '-x', '.hidden', '../etc', 'a/b', 'a b', 'ü', 'a:b', 'A'.repeat(201)]) {
      expect(isValidContainerId(id)).toBe(false);
      expect(() => assertValidContainerId(id)).toThrow(InvalidContainerIdError);
    }
  });
});
