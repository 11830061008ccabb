import { describe, expect, it } from 'vitest';
import { formatBytes, parseEvictionHard, thresholdBytes } from './eviction-threshold.js';

describe('parseEvictionHard', () => {
  it('reads a quantity and a percentage', () => {
    expect(parseEvictionHard('memory.available<100Mi')).toEqual({ signal: 'memory.available', quantityBytes: 100 * 1024 * 1024 });
    expect(parseEvictionHard('memory.available<10%')).toEqual({ signal: 'memory.available', percentage: 10 });
    expect(parseEvictionHard('memory.available<7.5%')).toEqual({ signal: 'memory.available', percentage: 7.5 });
  });

  it('empty means no eviction; the last entry for the signal wins', () => {
    expect(parseEvictionHard('')).toBeUndefined();
    expect(parseEvictionHard('memory.available<1Gi, memory.available<1Mi')).toEqual({ signal: 'memory.available', quantityBytes: 1024 * 1024 });
  });

  it.each([
    ['memory.available>100Mi', 'must be SIGNAL<QUANTITY'],
    ['nodefs.available<10%', 'signal "nodefs.available" is not supported'],
    ['memory.available<lots', 'must be a quantity'],
    ['memory.available<0%', 'must be a percentage above 0'],
    ['memory.available<101%', 'must be a percentage above 0'],
  ])('refuses %s', (text, message) => {
    expect(() => parseEvictionHard(text)).toThrow(message);
  });
});

describe('thresholdBytes and formatBytes', () => {
  it('a percentage is of the capacity the signal is measured against', () => {
    expect(thresholdBytes({ signal: 'memory.available', percentage: 10 }, 1000)).toBe(100);
    expect(thresholdBytes({ signal: 'memory.available', quantityBytes: 5 }, 1000)).toBe(5);
  });

  it('prints bytes with the largest binary suffix that divides them', () => {
    expect(formatBytes(100 * 1024 * 1024)).toBe('100Mi');
    expect(formatBytes(95421440)).toBe('93185Ki');
    expect(formatBytes(1000)).toBe('1000');
    expect(formatBytes(0)).toBe('0');
    expect(formatBytes(-2048)).toBe('-2Ki');
  });
});
