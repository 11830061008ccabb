// Answers for names in the cluster domain, from ClusterRecords: the records
// asked for, NODATA when the name exists without them, NXDOMAIN when it does
// not, with the zone's SOA in the authority section of every negative answer
// (RFC 2308: resolvers cache the denial for the SOA's minimum, 5 s). An
// ExternalName answers with its CNAME; the resolver then follows the target.
import type { Answer, SoaAnswer, SrvAnswer, StringAnswer } from 'dns-packet';
import type { ClusterRecords } from './cluster-records.js';
import { canonicalName } from './dns-names.js';
import { RCODE } from './rcode.js';

export interface ZoneAnswer {
  readonly rcode: number;
  readonly answers: Answer[];
  readonly authorities: Answer[];
  readonly additionals: Answer[];
  /** The canonical target of a CNAME answered for another type, to be resolved next. */
  readonly chase?: string;
}

export interface ZoneOptions {
  /** The address the zone's name server ns.dns.<zone> has (the DNS server's own). */
  readonly nameserver?: string;
}

/** The zone's SOA, as CoreDNS writes it: ns.dns.<zone>, hostmaster.<zone>, minimum = the record TTL. */
export function soaRecord(records: ClusterRecords, ttl: number): SoaAnswer {
  const zone = records.zone;
  return {
    name: zone,
    type: 'SOA',
    ttl,
    data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: records.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** The answer for (`asked`, `type`), `asked` being the name as the client spelled it (echoed in the answer). */
export function answerInZone(records: ClusterRecords, asked: string, type: string, ttl: number, options: ZoneOptions = {}): ZoneAnswer {
  const name = canonicalName(asked);
  const zone = records.zone;
  const owner = asked.endsWith('.') ? asked.slice(0, -1) : asked;
  const negative = (rcode: number): ZoneAnswer => ({ rcode, answers: [], authorities: [soaRecord(records, ttl)], additionals: [] });
  const nsName = `ns.dns.${zone}`;
  if (name === zone) {
    if (type === 'SOA' || type === 'ANY') return { rcode: RCODE.NOERROR, answers: [{ ...soaRecord(records, ttl), name: owner }], authorities: [], additionals: [] };
    if (type === 'NS') {
      const glue: Answer[] = options.nameserver ? [{ name: nsName, type: 'A', ttl, data: options.nameserver }] : [];
      return { rcode: RCODE.NOERROR, answers: [{ name: owner, type: 'NS', ttl, data: nsName }], authorities: [], additionals: glue };
    }
    return negative(RCODE.NOERROR);
  }
  if (name === nsName && options.nameserver) {
    if (type === 'A' || type === 'ANY') return { rcode: RCODE.NOERROR, answers: [{ name: owner, type: 'A', ttl, data: options.nameserver }], authorities: [], additionals: [] };
    return negative(RCODE.NOERROR);
  }
  const found = records.lookup(name);
  if (found === undefined) return negative(RCODE.NXDOMAIN);
  if (found.kind === 'empty') return negative(RCODE.NOERROR);
  const { sets } = found;
  const cname = sets.get('CNAME')?.[0];
  if (cname && type !== 'CNAME') {
    return { rcode: RCODE.NOERROR, answers: [{ ...cname, name: owner }], authorities: [], additionals: [], chase: (cname as StringAnswer).data };
  }
  const matching = type === 'ANY' ? [...sets.values()].flat() : [...(sets.get(type) ?? [])];
  if (matching.length === 0) return negative(RCODE.NOERROR);
  const answers = matching.map((record) => ({ ...record, name: owner }));
  // SRV targets' addresses ride along in the additional section (as CoreDNS), sparing a query each.
  const additionals: Answer[] = [];
  for (const record of matching) {
    if (record.type !== 'SRV') continue;
    const target = records.lookup((record as SrvAnswer).data.target);
    if (target?.kind === 'records') additionals.push(...(target.sets.get('A') ?? []));
  }
  return { rcode: RCODE.NOERROR, answers, authorities: [], additionals: dedupe(additionals) };
}

function dedupe(records: Answer[]): Answer[] {
  const seen = new Set<string>();
  return records.filter((record) => {
    const key = `${record.name} ${String((record as { data?: unknown }).data)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
