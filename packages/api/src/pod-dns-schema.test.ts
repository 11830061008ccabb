// dnsPolicy, dnsConfig and enableServiceLinks on a pod: what is valid, and the
// field paths of what is not.
import { describe, expect, it } from 'vitest';
import { formatIssue, validateManifest } from './validate.js';
import type { Pod } from './types.js';

const pod = (spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'a', image: 'busybox:1' }], ...spec },
});

describe('pod DNS fields', () => {
  it('accepts Kubernetes dnsPolicy values, a dnsConfig and enableServiceLinks, and stores them as given', () => {
    const result = validateManifest(
      pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'], searches: ['corp.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] }, enableServiceLinks: false }),
    );
    expect(result.errors).toEqual([]);
    const spec = (result.object as Pod).spec;
    expect(spec.dnsPolicy).toBe('None');
    expect(spec.dnsConfig?.nameservers).toEqual(['192.0.2.53']);
    expect(spec.enableServiceLinks).toBe(false);
    // Absent means ClusterFirst and true; nothing is written for them.
    const plain = (validateManifest(pod({})).object as Pod).spec;
    expect(plain.dnsPolicy).toBeUndefined();
    expect(plain.enableServiceLinks).toBeUndefined();
  });

  it('refuses an unknown policy, None without a nameserver, a nameserver that is no IP, too many nameservers', () => {
    const messages = (spec: Record<string, unknown>): string[] => validateManifest(pod(spec)).errors.map((issue) => formatIssue(issue));
    expect(messages({ dnsPolicy: 'Cluster' }).join('\n')).toMatch(/spec\.dnsPolicy: .*ClusterFirst/);
    expect(messages({ dnsPolicy: 'None' })).toEqual(['spec.dnsConfig.nameservers: must provide at least one DNS nameserver when dnsPolicy is None']);
    expect(messages({ dnsConfig: { nameservers: ['dns.example'] } })).toEqual(['spec.dnsConfig.nameservers[0]: must be a valid IP address, not "dns.example"']);
    expect(messages({ dnsConfig: { nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'] } }).join('\n')).toMatch(/spec\.dnsConfig\.nameservers/);
    expect(messages({ enableServiceLinks: 'no' }).join('\n')).toMatch(/spec\.enableServiceLinks/);
  });
});
