// The cluster DNS answering the cluster domain from an in-memory catalog:
// real DNS queries over UDP and TCP to the server on a loopback address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import { ClusterDns } from './cluster-dns.js';
import { RCODE, rcodeOf } from './rcode.js';
import { exchangeRawUdp, query } from './test-dns-client.js';
import { MemoryServiceCatalog, service, slice } from './test-catalog.js';

const HOST = '127.0.0.61';
const catalog = new MemoryServiceCatalog();
let dns: ClusterDns;

const ask = (name: string, type: Parameters<typeof query>[2]['type'], transport: 'udp' | 'tcp' = 'udp', edns?: number): Promise<DecodedPacket> =>
  query(HOST, dns.port, { name, type }, { transport, ...(edns ? { edns } : {}) });
const data = (packet: DecodedPacket, section: 'answers' | 'additionals' | 'authorities' = 'answers'): unknown[] =>
  (packet[section] ?? []).filter((r) => r.type !== 'OPT').map((r) => ({ name: r.name, type: r.type, ttl: (r as { ttl?: number }).ttl, data: (r as { data?: unknown }).data }));

beforeAll(async () => {
  catalog.putService(service('shop', 'backend', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000 }] }));
  catalog.putService(service('shop', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  catalog.putSlice(
    slice(
      'shop',
      'db',
      'db-abc',
      [
        { addresses: ['10.244.1.5'], conditions: { ready: true }, hostname: 'db-0' },
        { addresses: ['10.244.2.7'], conditions: { ready: true } },
        { addresses: ['10.244.3.9'], conditions: { ready: false }, hostname: 'db-2' },
      ],
      [{ name: 'pg', protocol: 'TCP', port: 15432 }],
    ),
  );
  catalog.putService(service('shop', 'web-ready', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [] }));
  catalog.putSlice(slice('shop', 'web-ready', 'web-ready-1', [{ addresses: ['10.244.1.8'], conditions: { ready: false } }]));
  catalog.putService(service('shop', 'empty', { clusterIP: 'None' }));
  catalog.putService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'search', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'backend.shop.svc.cluster.local', ports: [] } });
  dns = new ClusterDns({ catalog, address: HOST, port: 0, upstreams: [] });
  await dns.start();
});

afterAll(async () => {
  await dns?.stop();
});

describe('cluster DNS: services', () => {
  it('answers A for <svc>.<ns>.svc.<domain> with the ClusterIP, authoritative, TTL 5, over UDP and TCP', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const answer = await ask('backend.shop.svc.cluster.local', 'A', transport);
      expect(answer.id).toBe(4242);
      expect(rcodeOf(answer)).toBe(RCODE.NOERROR);
      expect(answer.flag_aa).toBe(true);
      expect(answer.flag_rd).toBe(true);
      expect(data(answer)).toEqual([{ name: 'backend.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.10' }]);
    }
  });

  it('matches names without regard to case and echoes the question as asked', async () => {
    const answer = await ask('BackEnd.Shop.SVC.cluster.local', 'A');
    expect(answer.questions?.[0]?.name).toBe('BackEnd.Shop.SVC.cluster.local');
    expect(data(answer)).toEqual([{ name: 'BackEnd.Shop.SVC.cluster.local', type: 'A', ttl: 5, data: '10.96.0.10' }]);
  });

  it('answers SRV for named ports, the service as target and its A in the additional section', async () => {
    const http = await ask('_http._tcp.backend.shop.svc.cluster.local', 'SRV');
    expect(data(http)).toEqual([
      { name: '_http._tcp.backend.shop.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'backend.shop.svc.cluster.local' } },
    ]);
    expect(data(http, 'additionals')).toEqual([{ name: 'backend.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.10' }]);
    const udp = await ask('_dns._udp.backend.shop.svc.cluster.local', 'SRV');
    expect(data(udp)).toEqual([
      { name: '_dns._udp.backend.shop.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 100, port: 53, target: 'backend.shop.svc.cluster.local' } },
    ]);
    // No SRV for the unnamed port, nor for the wrong protocol: those names do not exist.
    expect(rcodeOf(await ask('_dns._tcp.backend.shop.svc.cluster.local', 'SRV'))).toBe(RCODE.NXDOMAIN);
  });

  it('answers a headless service with one A per ready endpoint, and SRV per endpoint with its hostname', async () => {
    const a = await ask('db.shop.svc.cluster.local', 'A');
    expect(data(a)).toEqual([
      { name: 'db.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.1.5' },
      { name: 'db.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.2.7' },
    ]);
    const srv = await ask('_pg._tcp.db.shop.svc.cluster.local', 'SRV');
    expect(data(srv)).toEqual([
      { name: '_pg._tcp.db.shop.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 50, port: 15432, target: 'db-0.db.shop.svc.cluster.local' } },
      { name: '_pg._tcp.db.shop.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 50, port: 15432, target: '10-244-2-7.db.shop.svc.cluster.local' } },
    ]);
    expect(data(srv, 'additionals')).toEqual([
      { name: 'db-0.db.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.1.5' },
      { name: '10-244-2-7.db.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.2.7' },
    ]);
  });

  it('answers pod hostname records <hostname>.<subdomain>.<ns>.svc.<domain> of ready endpoints only', async () => {
    expect(data(await ask('db-0.db.shop.svc.cluster.local', 'A'))).toEqual([{ name: 'db-0.db.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.1.5' }]);
    expect(data(await ask('10-244-2-7.db.shop.svc.cluster.local', 'A'))).toEqual([{ name: '10-244-2-7.db.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.2.7' }]);
    expect(rcodeOf(await ask('db-2.db.shop.svc.cluster.local', 'A'))).toBe(RCODE.NXDOMAIN);
  });

  it('publishes not-ready endpoints when publishNotReadyAddresses is set', async () => {
    expect(data(await ask('web-ready.shop.svc.cluster.local', 'A'))).toEqual([{ name: 'web-ready.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.1.8' }]);
  });

  it('answers an ExternalName with its CNAME, followed to the target it names', async () => {
    const a = await ask('search.shop.svc.cluster.local', 'A');
    expect(rcodeOf(a)).toBe(RCODE.NOERROR);
    expect(data(a)).toEqual([
      { name: 'search.shop.svc.cluster.local', type: 'CNAME', ttl: 5, data: 'backend.shop.svc.cluster.local' },
      { name: 'backend.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.10' },
    ]);
    const cname = await ask('search.shop.svc.cluster.local', 'CNAME');
    expect(data(cname)).toEqual([{ name: 'search.shop.svc.cluster.local', type: 'CNAME', ttl: 5, data: 'backend.shop.svc.cluster.local' }]);
  });
});

describe('cluster DNS: negative answers', () => {
  const soa = (packet: DecodedPacket): unknown => {
    const [record] = packet.authorities ?? [];
    return record && { name: record.name, type: record.type, ttl: (record as { ttl?: number }).ttl, data: { ...(record as dnsPacket.SoaAnswer).data, serial: 'any' } };
  };
  const SOA = {
    name: 'cluster.local',
    type: 'SOA',
    ttl: 5,
    data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 'any', refresh: 7200, retry: 1800, expire: 86400, minimum: 5 },
  };

  it('NXDOMAIN for a name nothing holds, with the zone SOA as authority', async () => {
    for (const name of ['nope.shop.svc.cluster.local', 'backend.other.svc.cluster.local', 'google.com.shop.svc.cluster.local', 'x.pod.cluster.local']) {
      const answer = await ask(name, 'A');
      expect(rcodeOf(answer), name).toBe(RCODE.NXDOMAIN);
      expect(answer.flag_aa).toBe(true);
      expect(answer.answers).toEqual([]);
      expect(soa(answer)).toEqual(SOA);
    }
  });

  it('NODATA (NOERROR, no answers, SOA) for an existing name without that type, and for names above services', async () => {
    for (const [name, type] of [
      ['backend.shop.svc.cluster.local', 'AAAA'],
      ['backend.shop.svc.cluster.local', 'TXT'],
      ['empty.shop.svc.cluster.local', 'A'],
      ['shop.svc.cluster.local', 'A'],
      ['svc.cluster.local', 'A'],
      ['_tcp.backend.shop.svc.cluster.local', 'SRV'],
      ['cluster.local', 'A'],
    ] as const) {
      const answer = await ask(name, type);
      expect(rcodeOf(answer), `${name} ${type}`).toBe(RCODE.NOERROR);
      expect(answer.answers, `${name} ${type}`).toEqual([]);
      expect(soa(answer)).toEqual(SOA);
    }
  });

  it('answers SOA and NS at the apex', async () => {
    const answer = await ask('cluster.local', 'SOA');
    expect(rcodeOf(answer)).toBe(RCODE.NOERROR);
    expect(answer.answers?.[0]?.type).toBe('SOA');
    const ns = await ask('cluster.local', 'NS');
    expect(data(ns)).toEqual([{ name: 'cluster.local', type: 'NS', ttl: 5, data: 'ns.dns.cluster.local' }]);
    expect(data(ns, 'additionals')).toEqual([{ name: 'ns.dns.cluster.local', type: 'A', ttl: 5, data: HOST }]);
  });

  it('answers FORMERR to a message it cannot decode, and ignores responses', async () => {
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x61]);
    const answer = await exchangeRawUdp(HOST, dns.port, garbage);
    expect(answer.id).toBe(0x1234);
    expect(rcodeOf(answer)).toBe(RCODE.FORMERR);
    const response = dnsPacket.encode({ type: 'response', id: 7, questions: [{ name: 'backend.shop.svc.cluster.local', type: 'A' }] });
    await expect(exchangeRawUdp(HOST, dns.port, response, 300)).rejects.toThrow(/no UDP answer/);
  });

  it('answers SERVFAIL in the cluster domain until the catalog has listed once', async () => {
    catalog.synced = false;
    try {
      expect(rcodeOf(await ask('backend.shop.svc.cluster.local', 'A'))).toBe(RCODE.SERVFAIL);
    } finally {
      catalog.synced = true;
    }
  });
});

describe('cluster DNS: following the catalog', () => {
  it('indexes each change as it is notified: new, changed and deleted services', async () => {
    catalog.putService(service('shop', 'cart', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 8080 }] }));
    expect(data(await ask('cart.shop.svc.cluster.local', 'A'))).toEqual([{ name: 'cart.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' }]);
    catalog.putService(service('shop', 'cart', { clusterIP: '10.96.0.21', ports: [] }));
    expect(data(await ask('cart.shop.svc.cluster.local', 'A'))).toEqual([{ name: 'cart.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.21' }]);
    expect(rcodeOf(await ask('_http._tcp.cart.shop.svc.cluster.local', 'SRV'))).toBe(RCODE.NXDOMAIN);
    catalog.deleteService('shop', 'cart');
    expect(rcodeOf(await ask('cart.shop.svc.cluster.local', 'A'))).toBe(RCODE.NXDOMAIN);
    // Other services' names are untouched.
    expect(rcodeOf(await ask('backend.shop.svc.cluster.local', 'A'))).toBe(RCODE.NOERROR);
  });

  it('drops a namespace name once its last service is gone', async () => {
    catalog.putService(service('lonely', 'one', { clusterIP: '10.96.0.30' }));
    expect(rcodeOf(await ask('lonely.svc.cluster.local', 'A'))).toBe(RCODE.NOERROR);
    catalog.deleteService('lonely', 'one');
    expect(rcodeOf(await ask('lonely.svc.cluster.local', 'A'))).toBe(RCODE.NXDOMAIN);
  });

  it('follows endpoint changes of a headless service', async () => {
    catalog.putSlice(slice('shop', 'empty', 'empty-1', [{ addresses: ['10.244.4.4'], conditions: { ready: true } }]));
    expect(data(await ask('empty.shop.svc.cluster.local', 'A'))).toEqual([{ name: 'empty.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.4.4' }]);
    catalog.putSlice(slice('shop', 'empty', 'empty-1', [{ addresses: ['10.244.4.4'], conditions: { ready: false } }]));
    const answer = await ask('empty.shop.svc.cluster.local', 'A');
    expect(rcodeOf(answer)).toBe(RCODE.NOERROR);
    expect(answer.answers).toEqual([]);
  });

  it('rebuilds everything on a re-list', async () => {
    const sizeBefore = dns.records.size;
    catalog.resync();
    expect(dns.records.size).toBe(sizeBefore);
    expect(data(await ask('backend.shop.svc.cluster.local', 'A'))).toEqual([{ name: 'backend.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.10' }]);
  });
});

describe('cluster DNS: truncation', () => {
  it('truncates a UDP answer larger than 512 bytes (TC, no records) and answers it whole over TCP or with EDNS0 (dns-packet does not compress names: 20 A records take about 900 bytes)', async () => {
    const endpoints = Array.from({ length: 20 }, (_, i) => ({ addresses: [`10.244.9.${i + 1}`], conditions: { ready: true } }));
    catalog.putService(service('shop', 'big', { clusterIP: 'None' }));
    catalog.putSlice(slice('shop', 'big', 'big-1', endpoints));
    const udp = await ask('big.shop.svc.cluster.local', 'A');
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    const tcp = await ask('big.shop.svc.cluster.local', 'A', 'tcp');
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers?.length).toBe(20);
    const edns = await ask('big.shop.svc.cluster.local', 'A', 'udp', 4096);
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers?.length).toBe(20);
    expect(edns.additionals?.find((r) => r.type === 'OPT')).toMatchObject({ udpPayloadSize: 1232 });
  });
});

describe('cluster DNS: what the wire format cannot carry', () => {
  it('leaves out a record whose name does not fit (a CNAME target label over 63 bytes): NODATA, never a malformed answer', async () => {
    catalog.putService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'odd', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: `${'x'.repeat(70)}.example`, ports: [] } });
    const answer = await ask('odd.shop.svc.cluster.local', 'CNAME');
    expect(rcodeOf(answer)).toBe(RCODE.NOERROR);
    expect(answer.answers).toEqual([]);
    expect(rcodeOf(await ask('backend.shop.svc.cluster.local', 'A'))).toBe(RCODE.NOERROR);
  });

  it('truncates over TCP too when an answer exceeds a TCP message (65,535 bytes)', async () => {
    const endpoints = Array.from({ length: 1700 }, (_, i) => ({ addresses: [`10.245.${Math.floor(i / 250)}.${(i % 250) + 1}`], conditions: { ready: true } }));
    catalog.putService(service('shop', 'huge', { clusterIP: 'None' }));
    catalog.putSlice(slice('shop', 'huge', 'huge-1', endpoints));
    const tcp = await ask('huge.shop.svc.cluster.local', 'A', 'tcp');
    expect(tcp.flag_tc).toBe(true);
    expect(tcp.answers).toEqual([]);
  });
});
