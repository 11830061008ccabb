import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import { serviceEnvironment } from './service-env.js';
import { service } from './test-catalog.js';

const pod = (namespace: string, enableServiceLinks?: boolean): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace },
  spec: { containers: [{ name: 'a', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...(enableServiceLinks !== undefined ? { enableServiceLinks } : {}) },
});

const services = [
  service('shop', 'redis-primary', { clusterIP: '10.96.0.11', ports: [{ name: 'redis', port: 6379 }, { name: 'metrics', port: 9121 }] }),
  service('shop', 'dns', { clusterIP: '10.96.0.53', ports: [{ port: 53, protocol: 'UDP' }] }),
  service('shop', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
  { apiVersion: 'v1' as const, kind: 'Service' as const, metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName' as const, externalName: 'example.com', ports: [] } },
  service('other', 'elsewhere', { clusterIP: '10.96.0.99', ports: [{ port: 80 }] }),
];

describe('serviceEnvironment', () => {
  it("writes kubelet's variables for the Services of the pod's namespace that have a cluster IP", () => {
    expect(serviceEnvironment(pod('shop'), services)).toEqual({
      DNS_SERVICE_HOST: '10.96.0.53',
      DNS_SERVICE_PORT: '53',
      DNS_PORT: 'udp://10.96.0.53:53',
      DNS_PORT_53_UDP: 'udp://10.96.0.53:53',
      DNS_PORT_53_UDP_PROTO: 'udp',
      DNS_PORT_53_UDP_PORT: '53',
      DNS_PORT_53_UDP_ADDR: '10.96.0.53',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.11',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_REDIS: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.11',
      REDIS_PRIMARY_PORT_9121_TCP: 'tcp://10.96.0.11:9121',
      REDIS_PRIMARY_PORT_9121_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_9121_TCP_PORT: '9121',
      REDIS_PRIMARY_PORT_9121_TCP_ADDR: '10.96.0.11',
    });
  });

  it('writes nothing with enableServiceLinks: false, or in a namespace without Services', () => {
    expect(serviceEnvironment(pod('shop', false), services)).toEqual({});
    expect(serviceEnvironment(pod('empty'), services)).toEqual({});
  });
});
