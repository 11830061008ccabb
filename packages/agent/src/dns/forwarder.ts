// Names outside the cluster domain go to the host's resolvers (or those of
// --dns-upstream), through a cache. A truncated UDP answer is asked again over
// TCP; an upstream that does not answer, or answers SERVFAIL or REFUSED, is
// skipped for the next. Identical questions in flight share one upstream query.
import type { Answer, DecodedPacket, Question } from 'dns-packet';
import { DnsCache, type CachedAnswer } from './dns-cache.js';
import { canonicalName } from './dns-names.js';
import { RCODE, rcodeOf } from './rcode.js';
import { exchangeTcp, exchangeUdp, formatUpstream, upstreamQuery, type Upstream } from './upstream-exchange.js';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;

export interface ForwarderOptions {
  readonly upstreams: readonly Upstream[];
  readonly cache?: DnsCache;
  /** Per upstream and attempt; default 2 s. */
  readonly timeoutMs?: number;
}

export interface Forwarded extends CachedAnswer {
  /** Served from the cache. */
  readonly cached: boolean;
}

export class Forwarder {
  readonly cache: DnsCache;
  private readonly upstreams: readonly Upstream[];
  private readonly timeoutMs: number;
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();
  /** Upstream queries sent (UDP and TCP), for tests and logs. */
  sent = 0;
  /** The last upstream that failed and why (a timeout, a refused connection). */
  lastError: string | undefined;

  constructor(options: ForwarderOptions) {
    this.upstreams = options.upstreams;
    this.cache = options.cache ?? new DnsCache();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  }

  async forward(question: Question): Promise<Forwarded> {
    const asked: Question = { name: canonicalName(question.name), type: question.type, class: question.class ?? 'IN' };
    const key = `${asked.name}|${asked.type}|${asked.class}`;
    const hit = this.cache.get(key);
    if (hit) return { ...hit, cached: true };
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.ask(asked).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
      const stored = pending.then((answer) => this.cache.put(key, answer));
      stored.catch(() => undefined);
    }
    return { ...(await pending), cached: false };
  }

  private async ask(question: Question): Promise<CachedAnswer> {
    if (this.upstreams.length === 0) return servfail();
    let last: CachedAnswer | undefined;
    for (const upstream of this.upstreams) {
      try {
        const answer = toCached(await this.exchange(upstream, question));
        if (answer.rcode !== RCODE.SERVFAIL && answer.rcode !== RCODE.REFUSED) return answer;
        last = answer;
      } catch (error) {
        this.lastError = `${formatUpstream(upstream)}: ${(error as Error).message}`;
      }
    }
    return last ?? servfail();
  }

  private async exchange(upstream: Upstream, question: Question): Promise<DecodedPacket> {
    this.sent += 1;
    const answer = await exchangeUdp(upstream, upstreamQuery(question), this.timeoutMs);
    if (!answer.flag_tc) return answer;
    this.sent += 1;
    return exchangeTcp(upstream, upstreamQuery(question), this.timeoutMs);
  }
}

function toCached(packet: DecodedPacket): CachedAnswer {
  const withoutOpt = (records: Answer[] | undefined): Answer[] => (records ?? []).filter((record) => record.type !== 'OPT');
  return {
    rcode: rcodeOf(packet),
    answers: withoutOpt(packet.answers),
    authorities: withoutOpt(packet.authorities),
    additionals: withoutOpt(packet.additionals),
  };
}

function servfail(): CachedAnswer {
  return { rcode: RCODE.SERVFAIL, answers: [], authorities: [], additionals: [] };
}
