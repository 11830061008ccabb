import { describe, expect, it } from 'vitest';
import { compareKeys } from './memory-keyspace.js';

const sign = (n: number): number => Math.sign(n);
const bytes = (a: string, b: string): number => sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('compareKeys', () => {
  it('orders as etcd does, by UTF-8 bytes, where UTF-16 units disagree', () => {
    const astral = '/k/\u{1F600}'; // a surrogate pair: bytes F0 9F 98 80
    const highBmp = '/k/\uFF21'; // bytes EF BC A1: before the astral key in bytes, after it in UTF-16 units
    expect(astral < highBmp).toBe(true);
    expect(sign(compareKeys(highBmp, astral))).toBe(-1);
    expect(sign(compareKeys(astral, highBmp))).toBe(1);
  });

  it('agrees with a byte comparison on ASCII, prefixes, surrogates and lone surrogates', () => {
    const samples = [
      '', '/', '/a', '/a/', '/a/b', '/ab', '/b', 'a\u00e9', 'a\u07ff', 'a\u0800', 'a\ud7ff', 'a\ue000', 'a\uffff',
      'a\u{10000}', 'a\u{10ffff}', 'a\ud800', 'a\udc00', 'a\ud800x', 'a\ud800\udc00', 'a\udbff', 'a\ufffd', 'a\ufffdx',
      '/registry/configmaps/default/x-1', '/registry/configmaps/default/x-10', '/registry/configmaps/default/x-2',
    ];
    for (const a of samples) for (const b of samples) expect([a, b, sign(compareKeys(a, b))]).toEqual([a, b, bytes(a, b)]);
  });

  it('agrees with a byte comparison on random strings mixing ASCII, the BMP and astral characters', () => {
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const units = ['a', 'b', '/', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\ud800', '\udc00', '\u{1F600}', '\ufffd'];
    const random = (): string => Array.from({ length: next(5) }, () => units[next(units.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const prefix = random();
      const a = prefix + random();
      const b = prefix + random();
      expect([a, b, sign(compareKeys(a, b))]).toEqual([a, b, bytes(a, b)]);
    }
  });
});
