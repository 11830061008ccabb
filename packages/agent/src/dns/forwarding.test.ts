// Forwarding names outside the cluster domain to an upstream this suite runs
// itself (Debian's dnsmasq on a loopback address, answering from a hosts
// file; never a real resolver): answers, NXDOMAIN, the cache (the upstream
// stopped, cached names still answer), and TCP when the upstream truncates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedPacket } from 'dns-packet';
import { freePort, startDnsmasq, type RunningDnsmasq } from '@skiff/testkit';
import { ClusterDns } from './cluster-dns.js';
import { RCODE, rcodeOf } from './rcode.js';
import { query } from './test-dns-client.js';
import { MemoryServiceCatalog, service } from './test-catalog.js';

const HOST = '127.0.0.62';
const UPSTREAM = '127.0.0.63';
// More addresses for one name than fit in the forwarder's 1232-byte EDNS0 offer: dnsmasq truncates.
const MANY = Array.from({ length: 120 }, (_, i) => `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`);

let upstream: RunningDnsmasq | undefined;
let dns: ClusterDns | undefined;

const ask = (name: string, type: 'A' | 'AAAA' | 'MX' = 'A', transport: 'udp' | 'tcp' = 'udp'): Promise<DecodedPacket> =>
  query(HOST, dns?.port ?? 0, { name, type }, { transport });
const addresses = (packet: DecodedPacket): string[] => (packet.answers ?? []).filter((r) => r.type === 'A').map((r) => (r as { data: string }).data);

beforeAll(async () => {
  const port = await freePort();
  upstream = await startDnsmasq({
    address: UPSTREAM,
    port,
    hosts: ['192.0.2.10 www.example.test', '192.0.2.11 cached.example.test', '192.0.2.12 later.example.test', ...MANY.map((ip) => `${ip} many.example.test`)],
    ttl: 30,
    localDomains: ['example.test'],
  });
  const catalog = new MemoryServiceCatalog();
  catalog.putService(service('default', 'web', { clusterIP: '10.96.0.5' }));
  catalog.putService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'outside', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'www.example.test', ports: [] } });
  dns = new ClusterDns({ catalog, address: HOST, port: 0, upstreams: [{ host: UPSTREAM, port }], upstreamTimeoutMs: 500 });
  await dns.start();
}, 30_000);

afterAll(async () => {
  await dns?.stop();
  await upstream?.stop();
});

describe('cluster DNS: forwarding', () => {
  it('forwards a name outside the cluster domain and relays the answer (recursion available, not authoritative)', async () => {
    const answer = await ask('www.example.test');
    expect(rcodeOf(answer)).toBe(RCODE.NOERROR);
    expect(answer.flag_ra).toBe(true);
    expect(answer.flag_aa).toBe(false);
    expect(addresses(answer)).toEqual(['192.0.2.10']);
    expect(answer.answers?.[0]).toMatchObject({ name: 'www.example.test', type: 'A' });
    expect((answer.answers?.[0] as { ttl: number }).ttl).toBeLessThanOrEqual(30);
  });

  it('relays NXDOMAIN from upstream, and REFUSED for a name it does not serve', async () => {
    const answer = await ask('missing.example.test');
    expect(rcodeOf(answer)).toBe(RCODE.NXDOMAIN);
    expect(answer.answers).toEqual([]);
    expect(rcodeOf(await ask('elsewhere.invalid'))).toBe(RCODE.REFUSED);
  });

  it('follows an ExternalName CNAME to an outside name through the upstream', async () => {
    const answer = await ask('outside.default.svc.cluster.local');
    expect(rcodeOf(answer)).toBe(RCODE.NOERROR);
    expect(answer.answers?.map((r) => [r.name, r.type, (r as { data: unknown }).data])).toEqual([
      ['outside.default.svc.cluster.local', 'CNAME', 'www.example.test'],
      ['www.example.test', 'A', '192.0.2.10'],
    ]);
  });

  it('asks again over TCP when the upstream truncates, and gives a UDP client TC, a TCP client everything', async () => {
    const sentBefore = dns?.forwarder.sent ?? 0;
    const tcp = await ask('many.example.test', 'A', 'tcp');
    expect(tcp.flag_tc).toBe(false);
    expect(addresses(tcp).sort()).toEqual([...MANY].sort());
    // One UDP query that came back truncated, then one over TCP.
    expect((dns?.forwarder.sent ?? 0) - sentBefore).toBe(2);
    const udp = await ask('many.example.test', 'A', 'udp');
    expect(udp.flag_tc).toBe(true);
  });

  it('serves cached answers, positive and negative, after the upstream is gone; uncached names then fail', async () => {
    const first = await ask('cached.example.test');
    expect(addresses(first)).toEqual(['192.0.2.11']);
    expect(rcodeOf(await ask('gone.example.test'))).toBe(RCODE.NXDOMAIN);
    const hitsBefore = dns?.forwarder.cache.hits ?? 0;
    await upstream?.stop();
    upstream = undefined;
    const again = await ask('cached.example.test');
    expect(addresses(again)).toEqual(['192.0.2.11']);
    expect(rcodeOf(await ask('gone.example.test'))).toBe(RCODE.NXDOMAIN);
    expect((dns?.forwarder.cache.hits ?? 0) - hitsBefore).toBe(2);
    const uncached = await ask('later.example.test');
    expect(rcodeOf(uncached)).toBe(RCODE.SERVFAIL);
    // The cluster domain does not depend on the upstream.
    expect(addresses(await ask('web.default.svc.cluster.local'))).toEqual(['10.96.0.5']);
  });
});
