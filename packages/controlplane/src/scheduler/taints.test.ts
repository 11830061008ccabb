import { describe, expect, it } from 'vitest';
import type { Toleration } from '@skiff/api';
import type { Taint } from './node-info.js';
import { firstUntoleratedTaint, toleratesTaint } from './taints.js';

const gpu: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('toleratesTaint', () => {
  const cases: [string, Toleration, Taint, boolean][] = [
    [
      'Equal with matching key, value, effect',
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      gpu,
      true,
    ],
    ['operator defaults to Equal', { key: 'dedicated', value: 'gpu' }, gpu, true],
    ['Equal with another value', { key: 'dedicated', value: 'cpu' }, gpu, false],
    ['Equal without value against a valued taint', { key: 'dedicated' }, gpu, false],
    ['Equal without value against a value-less taint', { key: 'k' }, { key: 'k', effect: 'NoSchedule' }, true],
    ['Exists ignores the value', { key: 'dedicated', operator: 'Exists' }, gpu, true],
    ['another key', { key: 'other', operator: 'Exists' }, gpu, false],
    ['empty effect matches all', { key: 'dedicated', operator: 'Exists' }, { ...gpu, effect: 'NoExecute' }, true],
    ['a different effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, gpu, false],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, gpu, true],
    ['empty key with Exists and an effect', { operator: 'Exists', effect: 'NoExecute' }, gpu, false],
    ['empty key with Equal tolerates nothing', { value: 'gpu' }, gpu, false],
  ];
  it.each(cases)('%s', (_name, toleration, taint, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });
});

describe('firstUntoleratedTaint', () => {
  const taints: Taint[] = [
    { key: 'soft', effect: 'PreferNoSchedule' },
    { key: 'a', value: '1', effect: 'NoSchedule' },
    { key: 'b', effect: 'NoExecute' },
  ];

  it('ignores PreferNoSchedule and returns the first hard taint not tolerated', () => {
    expect(firstUntoleratedTaint(taints, [])).toEqual(taints[1]);
    expect(firstUntoleratedTaint(taints, [{ key: 'a', value: '1' }])).toEqual(taints[2]);
    expect(firstUntoleratedTaint(taints, [{ key: 'a', value: '1' }, { key: 'b', operator: 'Exists' }])).toBeUndefined();
  });

  it('is satisfied by no taints at all', () => {
    expect(firstUntoleratedTaint([], [])).toBeUndefined();
  });
});
