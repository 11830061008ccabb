import { describe, expect, it } from 'vitest';
import { formatAge } from './age.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [5, '5s'],
    [119, '119s'],
    [2 * MINUTE, '2m'],
    [5 * MINUTE + 10, '5m10s'],
    [9 * MINUTE + 59, '9m59s'],
    [10 * MINUTE + 30, '10m'],
    [3 * HOUR - 1, '179m'],
    [3 * HOUR, '3h'],
    [3 * HOUR + 20 * MINUTE, '3h20m'],
    [8 * HOUR + 59 * MINUTE, '8h'],
    [47 * HOUR + 59 * MINUTE, '47h'],
    [2 * DAY, '2d'],
    [4 * DAY + 5 * HOUR, '4d5h'],
    [8 * DAY + 23 * HOUR, '8d'],
    [729 * DAY, '729d'],
    [730 * DAY, '2y'],
    [3 * 365 * DAY + 100 * DAY, '3y100d'],
    [8 * 365 * DAY + 100 * DAY, '8y'],
  ])('%i seconds ago reads %s, as kubectl prints it', (seconds, text) => {
    expect(formatAge(ago(seconds), NOW)).toBe(text);
  });

  it('counts whole seconds: 1.999 s is 1s', () => {
    expect(formatAge(new Date(NOW.getTime() - 1999).toISOString(), NOW)).toBe('1s');
  });

  it('says <unknown> without a timestamp and <invalid> for one it cannot read', () => {
    expect(formatAge(undefined, NOW)).toBe('<unknown>');
    expect(formatAge('', NOW)).toBe('<unknown>');
    expect(formatAge('yesterday-ish', NOW)).toBe('<invalid>');
  });

  it('reads up to a second of clock skew as 0s, and more as <invalid>', () => {
    expect(formatAge(new Date(NOW.getTime() + 500).toISOString(), NOW)).toBe('0s');
    expect(formatAge(new Date(NOW.getTime() + 1999).toISOString(), NOW)).toBe('0s');
    expect(formatAge(new Date(NOW.getTime() + 2000).toISOString(), NOW)).toBe('<invalid>');
  });
});
