import { describe, expect, it } from 'vitest';
import { fastPathRemoval, fastPathRuleset } from './overlay-fast-path.js';

const routes = [
  { dst: '10.244.2.0/24', gateway: '10.244.2.0' },
  { dst: '10.244.3.0/24', gateway: '10.244.3.0' },
];

describe('the overlay fast path table', () => {
  it('sends what a pod veth receives for a remote slice to that slice\'s VTEP on the vxlan device, one ingress chain per veth', () => {
    expect(fastPathRuleset({ vxlanName: 'skiff.vx', routes, ports: ['skb', 'ska', 'skb'] })).toBe(`table netdev skiff-overlay-fast {}
delete table netdev skiff-overlay-fast
table netdev skiff-overlay-fast {
  map peers {
    type ipv4_addr : ipv4_addr; flags interval;
    elements = { 10.244.2.0/24 : 10.244.2.0, 10.244.3.0/24 : 10.244.3.0 }
  }
  chain to-peers {
    ip daddr @peers counter fwd ip to ip daddr map @peers device "skiff.vx"
  }
  chain from-ska {
    type filter hook ingress device "ska" priority filter; policy accept;
    jump to-peers
  }
  chain from-skb {
    type filter hook ingress device "skb" priority filter; policy accept;
    jump to-peers
  }
}
`);
  });

  it('is only removed when there is no peer or no pod (an empty map would be refused, and nothing needs it)', () => {
    expect(fastPathRuleset({ vxlanName: 'skiff.vx', routes: [], ports: ['ska'] })).toBe(fastPathRemoval());
    expect(fastPathRuleset({ vxlanName: 'skiff.vx', routes, ports: [] })).toBe(fastPathRemoval());
    expect(fastPathRemoval()).toBe('table netdev skiff-overlay-fast {}\ndelete table netdev skiff-overlay-fast\n');
  });

  it('refuses names and addresses that could inject rules', () => {
    expect(() => fastPathRuleset({ vxlanName: 'skiff.vx', routes, ports: ['x" accept; #'] })).toThrow(/cannot appear in an nft rule/);
    expect(() => fastPathRuleset({ vxlanName: 'skiff.vx', routes: [{ dst: '10.244.2.0/24 }', gateway: '10.244.2.0' }], ports: ['ska'] })).toThrow(/not an IPv4/);
    expect(() => fastPathRuleset({ vxlanName: 'skiff.vx', routes: [{ dst: '10.244.2.0/24', gateway: '1; drop' }], ports: ['ska'] })).toThrow(/not an IPv4/);
  });
});
