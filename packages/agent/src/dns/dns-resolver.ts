// What a query means: names in the cluster domain are answered from the
// cluster's records (authoritative), everything else is forwarded. An
// ExternalName's CNAME is followed, in the zone or upstream, as CoreDNS does,
// because the stub resolvers in pods do not chase CNAMEs themselves.
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet, Question } from 'dns-packet';
import type { ClusterRecords } from './cluster-records.js';
import { answerInZone, type ZoneAnswer } from './cluster-zone.js';
import { canonicalName, isInZone } from './dns-names.js';
import type { Forwarder } from './forwarder.js';
import type { DnsReply } from './dns-server.js';
import { RCODE } from './rcode.js';

/** How many CNAMEs an answer follows before it gives up (a loop of ExternalNames). */
const MAX_CHASE = 8;
/** The UDP payload size this server offers to EDNS clients. */
export const SERVER_EDNS_UDP_SIZE = 1232;

export interface DnsResolverOptions {
  readonly records: ClusterRecords;
  readonly forwarder?: Forwarder;
  /** Whether the catalog has listed once; before that the zone answers SERVFAIL, never a false NXDOMAIN. */
  readonly ready: () => boolean;
  readonly ttl: number;
  /** The server's own address, for ns.dns.<zone>. */
  readonly nameserver?: string;
}

interface Resolved {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  authoritative: boolean;
  /** Everything came from the zone's records (nothing forwarded, the catalog synced): the answer may be remembered. */
  fromZone: boolean;
}

export class DnsResolver {
  constructor(private readonly options: DnsResolverOptions) {}

  /** The response to a decoded query (never throws: failures are SERVFAIL). */
  async respond(query: DecodedPacket): Promise<DnsReply> {
    const opt = query.additionals?.find((record): record is OptAnswer => record.type === 'OPT');
    const opcode = (query as { opcode?: string }).opcode;
    const questions = query.questions ?? [];
    const reply = (rcode: number, resolved?: Omit<Resolved, 'rcode'>): Packet => ({
      type: 'response',
      id: query.id ?? 0,
      flags:
        (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) |
        (this.options.forwarder ? dnsPacket.RECURSION_AVAILABLE : 0) |
        (resolved?.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
        rcode,
      questions,
      answers: resolved?.answers ?? [],
      authorities: resolved?.authorities ?? [],
      additionals: [...(resolved?.additionals ?? []), ...(opt ? [serverOpt()] : [])],
    });
    if (opcode !== 'QUERY') return { packet: reply(RCODE.NOTIMP) };
    const question = questions[0];
    if (questions.length !== 1 || question === undefined) return { packet: reply(RCODE.FORMERR) };
    if ((question.class ?? 'IN') !== 'IN' || question.type === 'AXFR' || question.type === 'IXFR') {
      return { packet: reply(isInZone(canonicalName(question.name), this.options.records.zone) ? RCODE.REFUSED : RCODE.NOTIMP) };
    }
    const generation = this.options.records.generation;
    try {
      const resolved = await this.resolve(question.name, question.type, 0);
      const packet = reply(resolved.rcode, resolved);
      return resolved.fromZone ? { packet, generation } : { packet };
    } catch {
      return { packet: reply(RCODE.SERVFAIL) };
    }
  }

  private async resolve(asked: string, type: string, depth: number): Promise<Resolved> {
    const { records } = this.options;
    const name = canonicalName(asked);
    if (isInZone(name, records.zone)) {
      if (!this.options.ready()) return { rcode: RCODE.SERVFAIL, answers: [], authorities: [], additionals: [], authoritative: false, fromZone: false };
      const zone: ZoneAnswer = answerInZone(records, asked, type, this.options.ttl, this.options.nameserver ? { nameserver: this.options.nameserver } : {});
      if (zone.chase === undefined || depth >= MAX_CHASE || type === 'ANY') return { ...zone, authoritative: true, fromZone: true };
      const next = await this.resolve(zone.chase, type, depth + 1);
      // The chain's answer: the CNAME, then what its target holds; the rcode is the target's (RFC 6604).
      return { ...next, answers: [...zone.answers, ...next.answers], authoritative: depth === 0 };
    }
    if (!this.options.forwarder) return { rcode: RCODE.REFUSED, answers: [], authorities: [], additionals: [], authoritative: false, fromZone: false };
    const forwarded = await this.options.forwarder.forward({ name, type: type as Question['type'], class: 'IN' });
    return {
      rcode: forwarded.rcode,
      answers: [...forwarded.answers],
      authorities: [...forwarded.authorities],
      additionals: [...forwarded.additionals],
      authoritative: false,
      fromZone: false,
    };
  }
}

function serverOpt(): OptAnswer {
  return { type: 'OPT', name: '.', udpPayloadSize: SERVER_EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}
