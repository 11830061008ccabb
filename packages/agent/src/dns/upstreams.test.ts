import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterDomain } from './dns-names.js';
import { hostUpstreams, nameserversOf, parseUpstreams } from './upstreams.js';

describe('upstreams', () => {
  it("reads the host's nameservers, skipping the DNS's own address", async () => {
    expect(nameserversOf('# x\nnameserver 192.0.2.1\nsearch a\nnameserver ::1\nnameserver bogus\n')).toEqual(['192.0.2.1', '::1']);
    const dir = await mkdtemp(join(tmpdir(), 'skiff-resolv-'));
    try {
      await writeFile(join(dir, 'resolv.conf'), 'nameserver 10.244.1.1\nnameserver 192.0.2.1\n');
      expect(await hostUpstreams(join(dir, 'resolv.conf'), '10.244.1.1')).toEqual([{ host: '192.0.2.1', port: 53 }]);
      expect(await hostUpstreams(join(dir, 'absent'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses --dns-upstream IP[:PORT],… and refuses what is not', () => {
    expect(parseUpstreams('192.0.2.1, 127.0.0.1:5353,[::1]:54,::2')).toEqual([
      { host: '192.0.2.1', port: 53 },
      { host: '127.0.0.1', port: 5353 },
      { host: '::1', port: 54 },
      { host: '::2', port: 53 },
    ]);
    expect(() => parseUpstreams('dns.example')).toThrow('--dns-upstream must be IP[:PORT] addresses separated by commas, not "dns.example"');
    expect(() => parseUpstreams('')).toThrow('--dns-upstream names no resolver');
  });

  it('checks --cluster-domain', () => {
    expect(parseClusterDomain('Skiff.Internal.')).toBe('skiff.internal');
    expect(() => parseClusterDomain('-bad')).toThrow('--cluster-domain must be a DNS name such as cluster.local, not "-bad"');
  });
});
