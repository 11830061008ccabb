// HOST:PORT addresses as the agent's flags take them (`--server`, `--listen`),
// IPv6 hosts in brackets, and whether a host is loopback: plain-HTTP registries
// are allowed only there (or when named with --insecure-registry).
import { isIP } from 'node:net';
import { InvalidError } from '@skiff/api/core';

export interface HostPort {
  /** The host without brackets: "10.0.0.5", "::1", "cp.example.com". */
  readonly host: string;
  readonly port: number;
}

/** Splits "HOST:PORT" ("[::1]:7400" for IPv6); `flag` names the option in the error. */
export function parseHostPort(text: string, flag: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || host === undefined || port > 65_535 || (match[1] !== undefined && isIP(host) !== 6)) {
    throw new InvalidError(`${flag} must be HOST:PORT (an IPv6 host in brackets, e.g. [fd00::1]:7400), not "${text}"`);
  }
  return { host, port };
}

/** A comma-separated list of HOST:PORT addresses; at least one. */
export function parseHostPortList(text: string, flag: string): string[] {
  const addresses = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (addresses.length === 0) throw new InvalidError(`${flag} needs at least one HOST:PORT`);
  for (const address of addresses) parseHostPort(address, flag);
  return addresses;
}

/** The host of a HOST:PORT address, without brackets. */
export function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(':'));
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** localhost, 127.0.0.0/8 or ::1 (brackets allowed). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
