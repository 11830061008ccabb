import { parseCidr } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { overlayRuleset, overlayRulesetRemoval } from './overlay-nft.js';

const base = { bridgeName: 'skiff0', vxlanName: 'skiff.vx', clusterCidr: parseCidr('10.244.0.0/16', 'c') };

describe('the overlay nftables table', () => {
  it('forwards only bridge <-> vxlan (and back to the bridge) inside the pod network, without connection tracking, and drops the rest', () => {
    expect(overlayRuleset({ ...base, masqueradeOutside: false })).toBe(`table inet skiff-overlay {}
delete table inet skiff-overlay
table inet skiff-overlay {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "skiff0" oifname "skiff.vx" ip daddr 10.244.0.0/16 accept
    iifname "skiff.vx" oifname "skiff0" ip daddr 10.244.0.0/16 accept
    iifname "skiff0" oifname "skiff0" ip daddr 10.244.0.0/16 accept
    iifname "skiff0" drop
    oifname "skiff0" drop
    iifname "skiff.vx" drop
    oifname "skiff.vx" drop
  }
}
`);
  });

  it('with the LAN link: forwards DNAT\'d flows (NodePorts) from it to pods and their replies back, nothing else from it, and marks those replies for routing', () => {
    const ruleset = overlayRuleset({ ...base, linkName: 'eth0', masqueradeOutside: false });
    expect(ruleset).toContain(`    iifname "skiff0" oifname "skiff0" ip daddr 10.244.0.0/16 accept
    iifname "eth0" oifname { "skiff0", "skiff.vx" } ip daddr 10.244.0.0/16 ct status dnat accept
    iifname { "skiff0", "skiff.vx" } oifname "eth0" ct direction reply ct status dnat accept
    iifname "eth0" ct status != dnat drop
    iifname "skiff0" drop
`);
    expect(ruleset).toContain(`  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    iifname "skiff0" ct direction reply ct status dnat meta mark set meta mark | 0x2000
  }
`);
    // With masquerade the link forwarded before the overlay; the table does not start dropping for it.
    expect(overlayRuleset({ ...base, linkName: 'eth0', masqueradeOutside: true })).not.toContain('ct status != dnat drop');
  });

  it('with the LAN link and the tunnel: the VXLAN packets of this node skip connection tracking, nothing else does', () => {
    const ruleset = overlayRuleset({ ...base, linkName: 'eth0', masqueradeOutside: false, tunnel: { nodeIp: '10.77.0.3', port: 8472 } });
    expect(ruleset).toContain(`  chain raw-prerouting {
    type filter hook prerouting priority raw; policy accept;
    iifname "eth0" ip daddr 10.77.0.3 udp dport 8472 notrack
  }
  chain raw-output {
    type filter hook output priority raw; policy accept;
    oifname "eth0" ip saddr 10.77.0.3 udp dport 8472 notrack
  }
`);
    expect(ruleset.match(/notrack/g)).toHaveLength(2);
    expect(overlayRuleset({ ...base, masqueradeOutside: false, tunnel: { nodeIp: '10.77.0.3', port: 8472 } })).not.toContain('notrack');
    expect(() => overlayRuleset({ ...base, linkName: 'eth0', masqueradeOutside: false, tunnel: { nodeIp: '10.77.0.3 drop', port: 8472 } })).toThrow(/not an IPv4/);
  });

  it('with --masquerade-outside, also forwards pod traffic leaving the pod network, masqueraded', () => {
    const ruleset = overlayRuleset({ ...base, masqueradeOutside: true });
    expect(ruleset).toContain(
      '    iifname "skiff0" oifname != "skiff.vx" ip daddr != 10.244.0.0/16 accept\n    oifname "skiff0" ct state established,related accept\n    iifname "skiff0" drop\n',
    );
    expect(ruleset).toContain(`  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 oifname != "skiff0" masquerade
  }
}
`);
  });

  it('never touches the host’s policy: every chain accepts by default, in a table of its own', () => {
    for (const masqueradeOutside of [false, true]) {
      const ruleset = overlayRuleset({ ...base, masqueradeOutside });
      expect(ruleset.match(/policy \w+/g)?.every((p) => p === 'policy accept')).toBe(true);
      expect(ruleset.match(/^table \S+ \S+/gm)).toEqual(['table inet skiff-overlay', 'table inet skiff-overlay']);
    }
    expect(overlayRulesetRemoval()).toBe('table inet skiff-overlay {}\ndelete table inet skiff-overlay\n');
  });

  it('refuses an interface name that could inject rules', () => {
    expect(() => overlayRuleset({ ...base, bridgeName: 'x" accept; #', masqueradeOutside: false })).toThrow(/cannot appear in an nft rule/);
  });
});
