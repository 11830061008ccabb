import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['2h0m10s', 7_210_000],
  ])('reads %s as Go does', (text, ms) => {
    expect(parseDuration(text, '--duration')).toBe(ms);
  });

  it.each(['', '10', '-5m', '10 m', '1d', 'm', '5m3'])('refuses %j, saying what a duration looks like', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(
      `--duration "${text}" is not a duration; write it as a number and a unit (h, m, s, ms), e.g. 10m, 1h30m or 90s`,
    );
  });
});
