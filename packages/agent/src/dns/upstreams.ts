// Where forwarded names go: the host's resolvers, read from its
// /etc/resolv.conf when the agent starts, or --dns-upstream IP[:PORT],…
import { readFile } from 'node:fs/promises';
import { isIP, isIPv6 } from 'node:net';
import type { Upstream } from './upstream-exchange.js';

/** The `nameserver` addresses of a resolv.conf text, in order. */
export function nameserversOf(resolvConf: string): string[] {
  const out: string[] = [];
  for (const raw of resolvConf.split('\n')) {
    const [keyword, value] = raw.trim().split(/\s+/, 2);
    if (keyword === 'nameserver' && value !== undefined && isIP(value) !== 0) out.push(value);
  }
  return out;
}

/** `10.0.0.2,127.0.0.1:5353,[::1]:53` → upstreams (port 53 by default). */
export function parseUpstreams(text: string, what = '--dns-upstream'): Upstream[] {
  const upstreams = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(part);
      const [host, port] = bracketed ? [bracketed[1] ?? '', bracketed[2]] : isIPv6(part) ? [part, undefined] : (part.split(':', 2) as [string, string | undefined]);
      const number = port === undefined ? 53 : Number(port);
      if (isIP(host) === 0 || !Number.isInteger(number) || number < 1 || number > 65535) {
        throw new Error(`${what} must be IP[:PORT] addresses separated by commas, not ${JSON.stringify(part)}`);
      }
      return { host, port: number };
    });
  if (upstreams.length === 0) throw new Error(`${what} names no resolver`);
  return upstreams;
}

/** The host's resolvers (port 53), excluding `self` (the cluster DNS must not forward to itself). */
export async function hostUpstreams(path = '/etc/resolv.conf', self?: string): Promise<Upstream[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return nameserversOf(text)
    .filter((address) => address !== self)
    .map((host) => ({ host, port: 53 }));
}
