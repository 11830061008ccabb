import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import { renderPodResolvConf } from './pod-resolv-conf.js';

const HOST = 'nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch corp.example\noptions edns0 timeout:2\n';
const CLUSTER = { nameserver: '10.244.1.1', clusterDomain: 'cluster.local' };
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop' },
  spec: { containers: [{ name: 'a', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...spec },
});

describe('renderPodResolvConf', () => {
  it('ClusterFirst (the default): the node DNS, the cluster search path then the host searches, ndots:5', () => {
    expect(renderPodResolvConf(pod(), HOST, CLUSTER)).toBe(
      '# Written by the Skiff agent for this pod (dnsPolicy ClusterFirst): the cluster DNS.\n' +
        'nameserver 10.244.1.1\n' +
        'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n' +
        'options ndots:5\n',
    );
  });

  it('ClusterFirst on a node without cluster DNS, and Default: the host resolvers without loopback ones', () => {
    const expected = 'nameserver 192.0.2.1\nsearch corp.example\noptions edns0 timeout:2\n';
    expect(renderPodResolvConf(pod(), HOST, undefined)).toBe(`# Written by the Skiff agent for this pod (dnsPolicy ClusterFirst): the host's resolvers.\n${expected}`);
    expect(renderPodResolvConf(pod({ dnsPolicy: 'Default' }), HOST, CLUSTER)).toBe(`# Written by the Skiff agent for this pod (dnsPolicy Default): the host's resolvers.\n${expected}`);
  });

  it('None: only dnsConfig; dnsConfig otherwise adds nameservers and searches and overrides options by name', () => {
    const dnsConfig = { nameservers: ['192.0.2.53'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
    expect(renderPodResolvConf(pod({ dnsPolicy: 'None', dnsConfig }), HOST, CLUSTER)).toBe(
      '# Written by the Skiff agent for this pod (dnsPolicy None): its dnsConfig.\nnameserver 192.0.2.53\nsearch a.example\noptions ndots:2 edns0\n',
    );
    expect(renderPodResolvConf(pod({ dnsConfig }), HOST, { nameserver: '10.244.1.1', clusterDomain: 'skiff.internal' })).toBe(
      '# Written by the Skiff agent for this pod (dnsPolicy ClusterFirst): the cluster DNS.\n' +
        'nameserver 10.244.1.1\nnameserver 192.0.2.53\n' +
        'search shop.svc.skiff.internal svc.skiff.internal skiff.internal corp.example a.example\n' +
        'options ndots:2 edns0\n',
    );
  });
});
