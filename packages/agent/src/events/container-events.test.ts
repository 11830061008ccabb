import { describe, expect, it } from 'vitest';
import { goDuration } from './container-events.js';

describe('goDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [0.4, '0s'],
    [7, '7ms'],
    [850, '850ms'],
    [1_000, '1s'],
    [1_234.9, '1.234s'],
    [59_999, '59.999s'],
    [65_500, '1m5.5s'],
    [3_600_000, '1h0m0s'],
    [7_201_050, '2h0m1.05s'],
  ])('prints %d ms as Go prints the truncated time.Duration: %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});
