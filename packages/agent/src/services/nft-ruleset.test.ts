import { describe, expect, it } from 'vitest';
import { renderChanges, renderFullSync } from './nft-ruleset.js';
import type { ServicePortRules } from './proxy-model.js';

const config = { table: 'skiff-proxy', clusterCidr: '10.244.0.0/16' };
const T = 'ip skiff-proxy';

const web: ServicePortRules = {
  key: 'shop/web/tcp/80',
  service: 'shop/web',
  clusterIP: '10.96.0.10',
  protocol: 'tcp',
  port: 80,
  nodePort: 30080,
  endpoints: [
    { ip: '10.244.1.5', port: 8080 },
    { ip: '10.244.2.7', port: 8080 },
  ],
};

describe('renderFullSync', () => {
  it('replaces the table in one transaction: base chains and maps, then every port', () => {
    const dns: ServicePortRules = { key: 'kube/dns/udp/53', service: 'kube/dns', clusterIP: '10.96.0.53', protocol: 'udp', port: 53, endpoints: [] };
    expect(renderFullSync(config, [web, dns])).toBe(
      [
        'add table ip skiff-proxy',
        'delete table ip skiff-proxy',
        'table ip skiff-proxy {',
        '\tmap service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }',
        '\tmap service-nodeports { type inet_proto . inet_service : verdict; }',
        '\tmap no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }',
        '\tmap no-endpoint-nodeports { type inet_proto . inet_service : verdict; }',
        '\tchain reject-chain { meta l4proto tcp reject with tcp reset; reject with icmp type host-unreachable; }',
        '\tchain endpoints-check { ip daddr . meta l4proto . th dport vmap @no-endpoint-services; fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports; }',
        '\tchain filter-prerouting { type filter hook prerouting priority -110; policy accept; ct state new jump endpoints-check; }',
        '\tchain filter-output { type filter hook output priority -110; policy accept; ct state new jump endpoints-check; }',
        '\tchain mark-for-masquerade { meta mark set meta mark | 0x4000; }',
        '\tchain masquerading { meta mark & 0x4000 == 0 return; meta mark set meta mark ^ 0x4000; masquerade fully-random; }',
        '\tchain nodeports { meta l4proto . th dport vmap @service-nodeports; }',
        '\tchain services { ip daddr . meta l4proto . th dport vmap @service-ips; fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports; }',
        '\tchain nat-prerouting { type nat hook prerouting priority -100; policy accept; jump services; }',
        '\tchain nat-output { type nat hook output priority -100; policy accept; jump services; }',
        '\tchain nat-postrouting { type nat hook postrouting priority 100; policy accept; jump masquerading; }',
        '}',
        `add chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
        `add chain ${T} ep-shop/web/tcp/80__10.244.2.7/8080`,
        `add chain ${T} svc-shop/web/tcp/80`,
        `add chain ${T} ext-shop/web/tcp/80`,
        `add rule ${T} ep-shop/web/tcp/80__10.244.1.5/8080 ip saddr 10.244.1.5 jump mark-for-masquerade`,
        `add rule ${T} ep-shop/web/tcp/80__10.244.1.5/8080 meta l4proto tcp dnat to 10.244.1.5:8080`,
        `add rule ${T} ep-shop/web/tcp/80__10.244.2.7/8080 ip saddr 10.244.2.7 jump mark-for-masquerade`,
        `add rule ${T} ep-shop/web/tcp/80__10.244.2.7/8080 meta l4proto tcp dnat to 10.244.2.7:8080`,
        `add rule ${T} svc-shop/web/tcp/80 ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
        `add rule ${T} svc-shop/web/tcp/80 numgen random mod 2 vmap { 0 : goto ep-shop/web/tcp/80__10.244.1.5/8080, 1 : goto ep-shop/web/tcp/80__10.244.2.7/8080 }`,
        `add rule ${T} ext-shop/web/tcp/80 jump mark-for-masquerade`,
        `add rule ${T} ext-shop/web/tcp/80 goto svc-shop/web/tcp/80`,
        `add element ${T} service-ips { 10.96.0.10 . tcp . 80 : goto svc-shop/web/tcp/80 }`,
        `add element ${T} service-nodeports { tcp . 30080 : goto ext-shop/web/tcp/80 }`,
        `add element ${T} no-endpoint-services { 10.96.0.53 . udp . 53 : goto reject-chain }`,
        '',
      ].join('\n'),
    );
  });
});

describe('renderChanges', () => {
  it('renders nothing for no changes', () => {
    expect(renderChanges(config, [])).toBe('');
  });

  it('an endpoint gone: flushes the port chains, deletes its chain, refills the rest; map elements stay', () => {
    const next = { ...web, nodePort: undefined, endpoints: [{ ip: '10.244.2.7', port: 8080 }] } as ServicePortRules;
    const { nodePort: _, ...withoutNodePort } = next;
    expect(renderChanges(config, [{ previous: web, next: withoutNodePort }]).split('\n')).toEqual([
      `delete element ${T} service-nodeports { tcp . 30080 }`,
      `flush chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
      `flush chain ${T} ep-shop/web/tcp/80__10.244.2.7/8080`,
      `flush chain ${T} svc-shop/web/tcp/80`,
      `flush chain ${T} ext-shop/web/tcp/80`,
      `delete chain ${T} ext-shop/web/tcp/80`,
      `delete chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
      `add rule ${T} ep-shop/web/tcp/80__10.244.2.7/8080 ip saddr 10.244.2.7 jump mark-for-masquerade`,
      `add rule ${T} ep-shop/web/tcp/80__10.244.2.7/8080 meta l4proto tcp dnat to 10.244.2.7:8080`,
      `add rule ${T} svc-shop/web/tcp/80 ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
      `add rule ${T} svc-shop/web/tcp/80 goto ep-shop/web/tcp/80__10.244.2.7/8080`,
      '',
    ]);
  });

  it('the last endpoint gone: the VIP moves to the reject map and every chain goes', () => {
    const next: ServicePortRules = { ...web, endpoints: [] };
    expect(renderChanges({ table: 'skiff-proxy' }, [{ previous: web, next }]).split('\n')).toEqual([
      `delete element ${T} service-ips { 10.96.0.10 . tcp . 80 }`,
      `delete element ${T} service-nodeports { tcp . 30080 }`,
      `flush chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
      `flush chain ${T} ep-shop/web/tcp/80__10.244.2.7/8080`,
      `flush chain ${T} svc-shop/web/tcp/80`,
      `flush chain ${T} ext-shop/web/tcp/80`,
      `delete chain ${T} ext-shop/web/tcp/80`,
      `delete chain ${T} svc-shop/web/tcp/80`,
      `delete chain ${T} ep-shop/web/tcp/80__10.244.2.7/8080`,
      `delete chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
      `add element ${T} no-endpoint-services { 10.96.0.10 . tcp . 80 : goto reject-chain }`,
      `add element ${T} no-endpoint-nodeports { tcp . 30080 : goto reject-chain }`,
      '',
    ]);
  });

  it('ClientIP affinity: a set per endpoint, remembered in the endpoint chain, consulted first in the service chain', () => {
    const sticky: ServicePortRules = { key: 'a/s/tcp/80', service: 'a/s', clusterIP: '10.96.0.9', protocol: 'tcp', port: 80, affinityTimeoutSeconds: 60, endpoints: [{ ip: '10.244.1.5', port: 80 }, { ip: '10.244.1.6', port: 80 }] };
    expect(renderChanges({ table: 'skiff-proxy' }, [{ previous: undefined, next: sticky }]).split('\n')).toEqual([
      `add set ${T} aff-a/s/tcp/80__10.244.1.5/80 { type ipv4_addr; flags dynamic,timeout; timeout 60s; }`,
      `add set ${T} aff-a/s/tcp/80__10.244.1.6/80 { type ipv4_addr; flags dynamic,timeout; timeout 60s; }`,
      `add chain ${T} ep-a/s/tcp/80__10.244.1.5/80`,
      `flush chain ${T} ep-a/s/tcp/80__10.244.1.5/80`,
      `add chain ${T} ep-a/s/tcp/80__10.244.1.6/80`,
      `flush chain ${T} ep-a/s/tcp/80__10.244.1.6/80`,
      `add chain ${T} svc-a/s/tcp/80`,
      `flush chain ${T} svc-a/s/tcp/80`,
      `add rule ${T} ep-a/s/tcp/80__10.244.1.5/80 ip saddr 10.244.1.5 jump mark-for-masquerade`,
      `add rule ${T} ep-a/s/tcp/80__10.244.1.5/80 update @aff-a/s/tcp/80__10.244.1.5/80 { ip saddr }`,
      `add rule ${T} ep-a/s/tcp/80__10.244.1.5/80 meta l4proto tcp dnat to 10.244.1.5:80`,
      `add rule ${T} ep-a/s/tcp/80__10.244.1.6/80 ip saddr 10.244.1.6 jump mark-for-masquerade`,
      `add rule ${T} ep-a/s/tcp/80__10.244.1.6/80 update @aff-a/s/tcp/80__10.244.1.6/80 { ip saddr }`,
      `add rule ${T} ep-a/s/tcp/80__10.244.1.6/80 meta l4proto tcp dnat to 10.244.1.6:80`,
      `add rule ${T} svc-a/s/tcp/80 ip saddr @aff-a/s/tcp/80__10.244.1.5/80 goto ep-a/s/tcp/80__10.244.1.5/80`,
      `add rule ${T} svc-a/s/tcp/80 ip saddr @aff-a/s/tcp/80__10.244.1.6/80 goto ep-a/s/tcp/80__10.244.1.6/80`,
      `add rule ${T} svc-a/s/tcp/80 numgen random mod 2 vmap { 0 : goto ep-a/s/tcp/80__10.244.1.5/80, 1 : goto ep-a/s/tcp/80__10.244.1.6/80 }`,
      `add element ${T} service-ips { 10.96.0.9 . tcp . 80 : goto svc-a/s/tcp/80 }`,
      '',
    ]);
    // A new timeout recreates the sets after the chains that use them are flushed.
    const changed = renderChanges({ table: 'skiff-proxy' }, [{ previous: sticky, next: { ...sticky, affinityTimeoutSeconds: 30 } }]).split('\n');
    expect(changed.slice(0, 7)).toEqual([
      `flush chain ${T} ep-a/s/tcp/80__10.244.1.5/80`,
      `flush chain ${T} ep-a/s/tcp/80__10.244.1.6/80`,
      `flush chain ${T} svc-a/s/tcp/80`,
      `delete set ${T} aff-a/s/tcp/80__10.244.1.5/80`,
      `delete set ${T} aff-a/s/tcp/80__10.244.1.6/80`,
      `add set ${T} aff-a/s/tcp/80__10.244.1.5/80 { type ipv4_addr; flags dynamic,timeout; timeout 30s; }`,
      `add set ${T} aff-a/s/tcp/80__10.244.1.6/80 { type ipv4_addr; flags dynamic,timeout; timeout 30s; }`,
    ]);
    expect(changed.some((line) => line.startsWith('add chain') || line.startsWith('add element') || line.startsWith('delete element'))).toBe(false);
  });

  it('a Service port removed: elements out, chains and sets deleted', () => {
    expect(renderChanges({ table: 'skiff-proxy' }, [{ previous: { ...web, nodePort: undefined, endpoints: [{ ip: '10.244.1.5', port: 8080 }] } as ServicePortRules, next: undefined }]).split('\n')).toEqual([
      `delete element ${T} service-ips { 10.96.0.10 . tcp . 80 }`,
      `flush chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
      `flush chain ${T} svc-shop/web/tcp/80`,
      `delete chain ${T} svc-shop/web/tcp/80`,
      `delete chain ${T} ep-shop/web/tcp/80__10.244.1.5/8080`,
      '',
    ]);
  });
});
