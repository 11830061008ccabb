// The forwarder's cache: answers from the upstream resolvers, positive and
// negative, kept for the TTL they carry (capped as CoreDNS's cache plugin
// caps them: 3600 s for answers, 1800 s for denials) and served with the TTLs
// counted down. Bounded: the least recently used entry goes first.
import type { Answer, SoaAnswer } from 'dns-packet';
import { RCODE } from './rcode.js';

export const MAX_POSITIVE_TTL = 3600;
export const MAX_NEGATIVE_TTL = 1800;
export const DEFAULT_CACHE_ENTRIES = 10_000;
/** A denial without an SOA to say how long: CoreDNS's cache keeps it for its minimal TTL, 5 s. */
export const NEGATIVE_TTL_WITHOUT_SOA = 5;

export interface CachedAnswer {
  readonly rcode: number;
  readonly answers: readonly Answer[];
  readonly authorities: readonly Answer[];
  readonly additionals: readonly Answer[];
}

interface Entry {
  readonly value: CachedAnswer;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer with its TTLs counted down, or undefined (expired entries are dropped). */
  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    const now = this.now();
    if (!entry || entry.expiresAt <= now) {
      if (entry) this.entries.delete(key);
      this.misses += 1;
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits += 1;
    const elapsed = Math.floor((now - entry.storedAt) / 1000);
    const age = (records: readonly Answer[]): Answer[] =>
      records.map((record) => (record.type === 'OPT' ? record : { ...record, ttl: Math.max(0, (record.ttl ?? 0) - elapsed) }) as Answer);
    return { rcode: entry.value.rcode, answers: age(entry.value.answers), authorities: age(entry.value.authorities), additionals: age(entry.value.additionals) };
  }

  /** Stores an upstream answer for as long as it may be cached; answers that may not be (SERVFAIL, TTL 0, a denial without SOA) are not. */
  put(key: string, value: CachedAnswer): void {
    const ttl = cacheTtl(value);
    if (ttl <= 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: now, expiresAt: now + ttl * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * How long an answer may be cached: the smallest TTL of its answer records;
 * for a denial (NXDOMAIN, or NOERROR without answers) the SOA's TTL capped by
 * its minimum field (RFC 2308 §5), or 5 s without one (as CoreDNS); nothing
 * else (SERVFAIL, REFUSED).
 */
export function cacheTtl(value: CachedAnswer): number {
  if (value.rcode === RCODE.NOERROR && value.answers.length > 0) {
    return Math.min(MAX_POSITIVE_TTL, ...value.answers.map((record) => (record as { ttl?: number }).ttl ?? 0));
  }
  if (value.rcode === RCODE.NXDOMAIN || value.rcode === RCODE.NOERROR) {
    const soa = value.authorities.find((record): record is SoaAnswer => record.type === 'SOA');
    if (!soa) return NEGATIVE_TTL_WITHOUT_SOA;
    return Math.min(MAX_NEGATIVE_TTL, soa.ttl ?? 0, soa.data.minimum ?? 0);
  }
  return 0;
}
