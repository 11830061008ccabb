import { describe, expect, it } from 'vitest';
import {
  compareQuantities,
  cpuMillis,
  formatCpu,
  formatMemory,
  isQuantity,
  memoryBytes,
  parseQuantity,
} from './quantity.js';

function exact(input: string | number): [bigint, bigint] {
  const q = parseQuantity(input);
  if (!q) throw new Error(`expected ${String(input)} to parse`);
  return [q.numerator, q.denominator];
}

describe('parseQuantity', () => {
  it.each<[string | number, [bigint, bigint]]>([
    ['0', [0n, 1n]],
    ['1', [1n, 1n]],
    ['+2', [2n, 1n]],
    ['250m', [25n, 100n]],
    ['200000000n', [2n, 10n]],
    ['500u', [5n, 10000n]],
    ['0.5', [5n, 10n]],
    ['.5', [5n, 10n]],
    ['1.', [1n, 1n]],
    ['1.0001', [10001n, 10000n]],
    ['1k', [1000n, 1n]],
    ['1M', [1000000n, 1n]],
    ['1G', [1000000000n, 1n]],
    ['2T', [2000000000000n, 1n]],
    ['1P', [10n ** 15n, 1n]],
    ['1E', [10n ** 18n, 1n]],
    ['1Ki', [1024n, 1n]],
    ['128Mi', [134217728n, 1n]],
    ['1.5Gi', [1610612736n, 1n]],
    ['1Ti', [1n << 40n, 1n]],
    ['1Pi', [1n << 50n, 1n]],
    ['1Ei', [1n << 60n, 1n]],
    ['1e3', [1000n, 1n]],
    ['1E3', [1000n, 1n]],
    ['1e+3', [1000n, 1n]],
    ['1.5E-3', [15n, 10000n]],
    ['12e-1', [12n, 10n]],
    [0, [0n, 1n]],
    [3, [3n, 1n]],
    [0.25, [25n, 100n]],
    [1e21, [10n ** 21n, 1n]],
  ])('%s is exactly the fraction %s', (input, expected) => {
    expect(exact(input)).toEqual(expected);
  });

  it.each(['', 'abc', '1.2.3', '12x', '-1', '1 Gi', ' 1', '1 ', 'Mi', '.', 'e3', '1e', '1ki', '1mi', '1KiB', '1e3k', '--1', '1e1000', '0x10'])(
    'rejects %j',
    (input) => {
      expect(parseQuantity(input)).toBeUndefined();
      expect(isQuantity(input)).toBe(false);
    },
  );

  it.each([-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %s', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('keeps the spelling it was given', () => {
    expect(parseQuantity('128Mi')?.text).toBe('128Mi');
    expect(parseQuantity(2)?.text).toBe('2');
  });

  it('isQuantity rejects non-strings and non-numbers', () => {
    expect(isQuantity(null)).toBe(false);
    expect(isQuantity({})).toBe(false);
    expect(isQuantity('1Gi')).toBe(true);
    expect(isQuantity(1)).toBe(true);
  });
});

describe('cpuMillis', () => {
  it.each<[string | number, number]>([
    ['250m', 250],
    ['1', 1000],
    ['0.5', 500],
    ['1.0001', 1001],
    ['0.1', 100],
    ['100m', 100],
    ['1.5m', 2],
    ['2k', 2_000_000],
    ['1e-3', 1],
    ['1e-4', 1],
    [2, 2000],
    [0.25, 250],
    ['0', 0],
  ])('%s is %d millicores', (input, millis) => {
    expect(cpuMillis(input)).toBe(millis);
  });

  it('accepts a parsed quantity', () => {
    const q = parseQuantity('750m');
    if (!q) throw new Error('unparsed');
    expect(cpuMillis(q)).toBe(750);
  });

  it('sums without float drift', () => {
    expect(cpuMillis('0.1') + cpuMillis('0.2')).toBe(cpuMillis('0.3'));
  });

  it('throws RangeError for malformed text', () => {
    expect(() => cpuMillis('lots')).toThrow(RangeError);
  });
});

describe('memoryBytes', () => {
  it.each<[string | number, number]>([
    ['128Mi', 134217728],
    ['1Gi', 1073741824],
    ['1G', 1e9],
    ['1Ki', 1024],
    ['1e3', 1000],
    ['1500', 1500],
    ['0.5', 1],
    ['1.5', 2],
    ['100m', 1],
    ['1.5Ki', 1536],
    [64, 64],
  ])('%s is %d bytes', (input, bytes) => {
    expect(memoryBytes(input)).toBe(bytes);
  });

  it('throws RangeError for malformed text', () => {
    expect(() => memoryBytes('1 Gi')).toThrow(RangeError);
  });
});

describe('compareQuantities', () => {
  it.each<[string, string, -1 | 0 | 1]>([
    ['1', '1000m', 0],
    ['1Gi', '1G', 1],
    ['64Mi', '128Mi', -1],
    ['0.5', '500m', 0],
    ['1e3', '1k', 0],
    ['1.0001', '1', 1],
  ])('%s vs %s is %d', (a, b, expected) => {
    expect(compareQuantities(a, b)).toBe(expected);
  });
});

describe('formatCpu', () => {
  it.each<[number | bigint, string]>([
    [250, '250m'],
    [2000, '2'],
    [1000, '1'],
    [1500, '1500m'],
    [0, '0'],
    [1n, '1m'],
    [0.5, '1m'],
  ])('%s millicores is %s', (millis, text) => {
    expect(formatCpu(millis)).toBe(text);
  });

  it('round-trips through cpuMillis', () => {
    for (const m of [1, 250, 999, 1000, 1001, 64000]) expect(cpuMillis(formatCpu(m))).toBe(m);
  });
});

describe('formatMemory', () => {
  it.each<[number | bigint, string]>([
    [134217728, '128Mi'],
    [1073741824, '1Gi'],
    [1024, '1Ki'],
    [1536, '1536'],
    [1500, '1500'],
    [1e9, '1G'],
    [2000, '2k'],
    [0, '0'],
    [1, '1'],
    [1n << 60n, '1Ei'],
  ])('%s bytes is %s', (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text);
  });

  it('round-trips through memoryBytes', () => {
    for (const b of [1, 1023, 1024, 1500, 134217728, 3 * 1024 * 1000]) expect(memoryBytes(formatMemory(b))).toBe(b);
  });
});

describe('nano and micro cores (metrics.k8s.io usage)', () => {
  it('rounds up to millicores like MilliValue', () => {
    expect(cpuMillis('12345678n')).toBe(13);
    expect(cpuMillis('200000000n')).toBe(200);
    expect(cpuMillis('0n')).toBe(0);
  });
});
