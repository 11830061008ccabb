// DNS response codes (RFC 1035 §4.1.1, RFC 6895), as the low four bits of the
// header flags dns-packet encodes.
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

/** The rcode of a decoded packet (dns-packet decodes it as a name, e.g. "NXDOMAIN"). */
export function rcodeOf(packet: { flags?: number }): number {
  return (packet.flags ?? 0) & 0xf;
}
