import { describe, expect, it } from 'vitest';
import { deepFreeze, memoizedByFrozen } from './immutable.js';

describe('memoizedByFrozen', () => {
  it('derives once per frozen object, and again for another', () => {
    let calls = 0;
    const size = memoizedByFrozen((value: { items: readonly number[] }) => (calls++, value.items.length));
    const a = deepFreeze({ items: [1, 2, 3] });
    const b = deepFreeze({ items: [1] });
    expect([size(a), size(a), size(b), size(a)]).toEqual([3, 3, 1, 3]);
    expect(calls).toBe(2);
  });

  it('derives every time for an object that is not frozen (it may still change)', () => {
    let calls = 0;
    const size = memoizedByFrozen((value: { items: number[] }) => (calls++, value.items.length));
    const open = { items: [1, 2] };
    expect(size(open)).toBe(2);
    open.items.push(3);
    expect(size(open)).toBe(3);
    expect(calls).toBe(2);
  });

  it('remembers a derived undefined as well', () => {
    let calls = 0;
    const nothing = memoizedByFrozen((_: object) => void calls++);
    const frozen = Object.freeze({});
    nothing(frozen);
    nothing(frozen);
    expect(calls).toBe(1);
  });
});
