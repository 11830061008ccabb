import type { EndpointSlice, Service } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { describeService, readyEndpoints } from './describe-service.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');

const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', labels: { tier: 'front', app: 'web' }, creationTimestamp: '2024-05-01T11:59:00Z' },
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    clusterIP: '10.96.0.10',
    clusterIPs: ['10.96.0.10'],
    sessionAffinity: 'None',
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
      { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090, nodePort: 30090 },
    ],
  },
};

function slice(name: string, addresses: [string, boolean][]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'shop' },
    addressType: 'IPv4',
    ports: [
      { name: 'http', protocol: 'TCP', port: 8080 },
      { name: 'metrics', protocol: 'TCP', port: 9090 },
    ],
    endpoints: addresses.map(([address, ready]) => ({ addresses: [address], conditions: { ready, serving: ready, terminating: false } })),
  };
}

describe('describeService', () => {
  it('lists type, IPs, each port with its target, node port and ready endpoints, affinity and events, as kubectl does', () => {
    const text = describeService(service, [slice('web-abcde', [['10.244.1.2', true], ['10.244.1.3', false], ['10.244.2.2', true]])], [], NOW);
    expect(text).toBe(
      [
        'Name:                     web',
        'Namespace:                shop',
        'Labels:                   app=web',
        '                          tier=front',
        'Annotations:              <none>',
        'Selector:                 app=web',
        'Type:                     NodePort',
        'IP Family Policy:         SingleStack',
        'IP Families:              IPv4',
        'IP:                       10.96.0.10',
        'IPs:                      10.96.0.10',
        'Port:                     http  80/TCP',
        'TargetPort:               http/TCP',
        'NodePort:                 http  30080/TCP',
        'Endpoints:                10.244.1.2:8080,10.244.2.2:8080',
        'Port:                     metrics  9090/TCP',
        'TargetPort:               9090/TCP',
        'NodePort:                 metrics  30090/TCP',
        'Endpoints:                10.244.1.2:9090,10.244.2.2:9090',
        'Session Affinity:         None',
        'External Traffic Policy:  Cluster',
        'Internal Traffic Policy:  Cluster',
        'Events:                   <none>',
        '',
      ].join('\n'),
    );
  });

  it('shows three endpoints then "+ N more...", and <none> when none is ready', () => {
    const many = slice('web-a', [['10.0.0.1', true], ['10.0.0.2', true], ['10.0.0.3', true], ['10.0.0.4', true], ['10.0.0.5', true]]);
    expect(readyEndpoints([many], 'http')).toBe('10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more...');
    expect(readyEndpoints([slice('web-b', [['10.0.0.1', false]])], 'http')).toBe('<none>');
  });

  it('an ExternalName Service shows its name; a LoadBalancer its ingress, served as NodePort', () => {
    const external = describeService({ ...service, spec: { type: 'ExternalName', externalName: 'db.example.com', ports: [] } }, [], [], NOW);
    expect(external).toContain('External Name:            db.example.com\n');
    expect(external).not.toContain('IP:');
    const lb = describeService({ ...service, spec: { ...service.spec, type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.168.1.11' }] } } }, [], [], NOW);
    expect(lb).toContain('LoadBalancer Ingress:     192.168.1.11 (served as NodePort on every node)\n');
  });
});
