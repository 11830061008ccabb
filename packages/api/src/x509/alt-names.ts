// Subject alternative names: the hosts a certificate is valid for, sorted into
// IP addresses and DNS names, in one canonical spelling so that two lists of
// the same hosts compare equal however they were written.
import { isIP } from 'node:net';
import { InvalidError } from '../errors.js';
import { isDns1123Subdomain } from '../names.js';

export interface AltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const LABEL_MAX_LENGTH = 63;
const LOOKS_NUMERIC = /^[0-9.]+$/;

/**
 * The canonical spelling of an IP address (IPv4 dotted quad, IPv6 compressed
 * lowercase, `[…]` brackets dropped), or undefined when `text` is not one.
 * IPv6 zone ids (`fe80::1%eth0`) are not addresses a certificate can name.
 */
export function canonicalIp(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6 || bare.includes('%')) return undefined;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

/**
 * A DNS name as certificates carry it (lowercase, no trailing dot), or
 * undefined when `text` is not a valid one. One leading `*.` wildcard label is allowed.
 */
export function canonicalDnsName(text: string): string | undefined {
  const name = text.toLowerCase().replace(/\.$/, '');
  const rest = name.startsWith('*.') ? name.slice(2) : name;
  if (!isDns1123Subdomain(rest) || LOOKS_NUMERIC.test(rest)) return undefined;
  return rest.split('.').every((label) => label.length <= LABEL_MAX_LENGTH) ? name : undefined;
}

/**
 * Sorts hosts into IP and DNS SANs (canonical, duplicates dropped, first
 * occurrence order), refusing anything that is neither: `what` names the list
 * in the error (`--tls-san`, `node address`).
 */
export function splitAltNames(hosts: readonly string[], what = 'address'): AltNames {
  const dnsNames = new Set<string>();
  const ipAddresses = new Set<string>();
  for (const host of hosts) {
    const ip = canonicalIp(host.trim());
    if (ip !== undefined) {
      ipAddresses.add(ip);
      continue;
    }
    const name = canonicalDnsName(host.trim());
    if (name === undefined) throw new InvalidError(`${what} ${quoted(host)}: neither an IP address nor a DNS name; give e.g. 10.0.0.5, fd00::5 or node1.example.com`);
    dnsNames.add(name);
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

/** Whether two SAN sets name the same hosts, in any order. */
export function sameAltNames(a: AltNames, b: AltNames): boolean {
  const key = (names: AltNames): string =>
    [...new Set([...names.dnsNames.map((n) => `dns:${n}`), ...names.ipAddresses.map((n) => `ip:${n}`)])].sort().join(' ');
  return key(a) === key(b);
}

function quoted(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(shown);
}
