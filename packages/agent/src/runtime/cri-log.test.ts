import { describe, expect, it } from 'vitest';
import { criTimestampMs, joinRecords, parseCriLog, parseCriRecord } from './cri-log.js';

describe('CRI log records', () => {
  it('parses stream, tag, timestamp and text (which may be empty or hold spaces)', () => {
    expect(parseCriRecord('2026-12-01T19:55:00.242136128+00:00 stderr F a b  c')).toEqual({
      timestamp: '2026-12-01T19:55:00.242136128+00:00',
      stream: 'stderr',
      partial: false,
      text: 'a b  c',
    });
    expect(parseCriRecord('2026-12-01T19:55:00.242136128+00:00 stdout F ')?.text).toBe('');
    expect(parseCriRecord('2026-12-01T19:55:00Z stdout P x')?.partial).toBe(true);
    expect(parseCriRecord('not a record')).toBeUndefined();
    expect(parseCriRecord('2026-12-01T19:55:00Z stdin F x')).toBeUndefined();
  });

  it('joins P records per stream, keeping the first timestamp, and holds back an unfinished line', () => {
    const { lines, pending } = parseCriLog(
      ['t1 stdout P ab', 't2 stderr F oops', 't3 stdout P cd', 't4 stdout F ef', 't5 stderr P half', ''].join('\n'),
    );
    expect(lines).toEqual([
      { timestamp: 't2', stream: 'stderr', text: 'oops' },
      { timestamp: 't1', stream: 'stdout', text: 'abcdef' },
    ]);
    expect(joinRecords(['t6 stderr F done'], pending).lines).toEqual([{ timestamp: 't5', stream: 'stderr', text: 'halfdone' }]);
  });

  it('reads nanosecond timestamps to the millisecond', () => {
    expect(criTimestampMs('2026-12-01T19:55:00.242136128+00:00')).toBe(Date.UTC(2026, 11, 1, 19, 55, 0, 242));
    expect(criTimestampMs('2026-12-01T20:55:00.5+01:00')).toBe(Date.UTC(2026, 11, 1, 19, 55, 0, 500));
    expect(criTimestampMs('garbage')).toBeNaN();
  });
});
