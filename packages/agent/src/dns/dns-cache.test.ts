import { describe, expect, it } from 'vitest';
import type { Answer } from 'dns-packet';
import { cacheTtl, DnsCache, MAX_POSITIVE_TTL } from './dns-cache.js';
import { RCODE } from './rcode.js';

const a = (ttl: number, data = '192.0.2.1'): Answer => ({ name: 'x.test', type: 'A', ttl, data });
const soa = (ttl: number, minimum: number): Answer => ({ name: 'test', type: 'SOA', ttl, data: { mname: 'ns.test', rname: 'h.test', minimum } });
const positive = (...answers: Answer[]) => ({ rcode: RCODE.NOERROR, answers, authorities: [], additionals: [] });

describe('DnsCache', () => {
  it('keeps an answer for its smallest TTL and counts the TTLs down', () => {
    let now = 1_000_000;
    const cache = new DnsCache({ now: () => now });
    cache.put('k', positive(a(30), a(10, '192.0.2.2')));
    now += 4_000;
    expect(cache.get('k')?.answers.map((r) => (r as { ttl: number }).ttl)).toEqual([26, 6]);
    now += 6_000;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('caps TTLs, keeps denials for the SOA minimum (5 s without SOA), and never SERVFAIL or TTL 0', () => {
    expect(cacheTtl(positive(a(86_400)))).toBe(MAX_POSITIVE_TTL);
    expect(cacheTtl({ rcode: RCODE.NXDOMAIN, answers: [], authorities: [soa(300, 60)], additionals: [] })).toBe(60);
    expect(cacheTtl({ rcode: RCODE.NOERROR, answers: [], authorities: [soa(20, 60)], additionals: [] })).toBe(20);
    expect(cacheTtl({ rcode: RCODE.NXDOMAIN, answers: [], authorities: [], additionals: [] })).toBe(5);
    expect(cacheTtl({ rcode: RCODE.SERVFAIL, answers: [], authorities: [], additionals: [] })).toBe(0);
    expect(cacheTtl(positive(a(0)))).toBe(0);
  });

  it('is bounded: the least recently used entry goes first', () => {
    const cache = new DnsCache({ maxEntries: 2 });
    cache.put('a', positive(a(60)));
    cache.put('b', positive(a(60)));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.put('c', positive(a(60)));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });
});
