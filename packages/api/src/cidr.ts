// IPv4 address and CIDR arithmetic for the pod network (control plane slices it,
// agents allocate inside their slice). Addresses are kept as
// unsigned 32-bit integers so that "next address", "is inside" and "broadcast"
// are plain arithmetic instead of string juggling.

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer (host bits are zero). */
  readonly network: number;
  /** Prefix length, 0..32. */
  readonly prefix: number;
  /** Canonical text form, e.g. "10.244.1.0/24". */
  readonly text: string;
}

const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/** Parses dotted-quad IPv4 text ("10.244.1.5") into an unsigned integer; throws on anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`"${text}" is not an IPv4 address (expected four dot-separated numbers)`);
  let value = 0;
  for (const part of parts) {
    const octet = OCTET.test(part) ? Number(part) : Number.NaN;
    if (!(octet >= 0 && octet <= 255)) {
      throw new Error(`"${text}" is not an IPv4 address ("${part}" is not a number from 0 to 255)`);
    }
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function formatIpv4(value: number): string {
  const v = value >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function maskOf(prefix: number): number {
  // A shift by 32 is a no-op in JavaScript, so /0 needs its own case.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses "a.b.c.d/n". `what` names the setting in error messages so that a bad
 * value in the agent's configuration says which option to fix.
 */
export function parseCidr(text: string, what: string): Ipv4Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`${what} "${text}" is not a CIDR: expected address/prefix, e.g. 10.244.1.0/24`);
  const prefixText = text.slice(slash + 1);
  const prefix = /^[0-9]{1,2}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= 32)) {
    throw new Error(`${what} "${text}" has an invalid prefix length "${prefixText}" (expected 0 to 32)`);
  }
  let address: number;
  try {
    address = parseIpv4(text.slice(0, slash));
  } catch (error) {
    throw new Error(`${what} "${text}": ${(error as Error).message}`);
  }
  const network = (address & maskOf(prefix)) >>> 0;
  if (network !== address) {
    // A host address here is almost always a typo; silently masking it would hide that.
    throw new Error(
      `${what} "${text}" has host bits set; did you mean ${formatIpv4(network)}/${prefix}?`,
    );
  }
  return { network, prefix, text: `${formatIpv4(network)}/${prefix}` };
}

/** Last address of the range (the broadcast address for prefixes shorter than /31). */
export function lastAddress(cidr: Ipv4Cidr): number {
  return (cidr.network | ~maskOf(cidr.prefix)) >>> 0;
}

export function containsIp(cidr: Ipv4Cidr, ip: number): boolean {
  return ((ip & maskOf(cidr.prefix)) >>> 0) === cidr.network;
}

/** True when every address of `inner` lies inside `outer`. */
export function containsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && containsIp(outer, inner.network);
}
