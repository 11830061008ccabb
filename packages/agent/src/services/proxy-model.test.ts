import type { EndpointSlice, Service } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { rulesOfService, sameRules } from './proxy-model.js';

function service(spec: Partial<Service['spec']>, name = 'web'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop' },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }], ...spec },
  };
}

function slice(endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [{ name: 'http', protocol: 'TCP', port: 8080 }]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

describe('rulesOfService', () => {
  it('takes only ready endpoints, sorted and without duplicates, with the slice port as target', () => {
    const [rule] = rulesOfService(service({}), [
      slice([
        { addresses: ['10.244.2.9'], conditions: { ready: true } },
        { addresses: ['10.244.1.10'], conditions: { ready: false, serving: false } },
        { addresses: ['10.244.1.9'], conditions: {} },
      ]),
      slice([{ addresses: ['10.244.2.9'], conditions: { ready: true } }]),
    ]);
    expect(rule).toEqual({
      key: 'shop/web/tcp/80',
      service: 'shop/web',
      clusterIP: '10.96.0.10',
      protocol: 'tcp',
      port: 80,
      endpoints: [
        { ip: '10.244.1.9', port: 8080 },
        { ip: '10.244.2.9', port: 8080 },
      ],
    });
  });

  it('falls back to serving terminating endpoints only when none is ready', () => {
    const terminating = { addresses: ['10.244.1.7'], conditions: { ready: false, serving: true, terminating: true } };
    expect(rulesOfService(service({}), [slice([terminating])])[0]?.endpoints).toEqual([{ ip: '10.244.1.7', port: 8080 }]);
    expect(rulesOfService(service({}), [slice([terminating, { addresses: ['10.244.1.8'], conditions: { ready: true } }])])[0]?.endpoints).toEqual([
      { ip: '10.244.1.8', port: 8080 },
    ]);
    expect(rulesOfService(service({}), [slice([{ addresses: ['10.244.1.7'], conditions: { ready: false, serving: false, terminating: true } }])])[0]?.endpoints).toEqual([]);
  });

  it('matches slice ports by name and protocol', () => {
    const svc = service({
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 },
      ],
    });
    const rules = rulesOfService(svc, [slice([{ addresses: ['10.244.1.9'], conditions: { ready: true } }], [{ name: 'dns', protocol: 'UDP', port: 5353 }])]);
    expect(rules.map((r) => [r.key, r.endpoints])).toEqual([
      ['shop/web/tcp/80', []],
      ['shop/web/udp/53', [{ ip: '10.244.1.9', port: 5353 }]],
    ]);
  });

  it('NodePort and LoadBalancer keep their node ports; ClusterIP ignores one; ClientIP affinity has a default timeout', () => {
    const ports = [{ protocol: 'TCP' as const, port: 80, targetPort: 80, nodePort: 30080 }];
    expect(rulesOfService(service({ type: 'NodePort', ports }), [])[0]?.nodePort).toBe(30080);
    expect(rulesOfService(service({ type: 'LoadBalancer', ports }), [])[0]?.nodePort).toBe(30080);
    expect(rulesOfService(service({ type: 'ClusterIP', ports }), [])[0]?.nodePort).toBeUndefined();
    expect(rulesOfService(service({ sessionAffinity: 'ClientIP' }), [])[0]?.affinityTimeoutSeconds).toBe(10_800);
    expect(rulesOfService(service({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } } }), [])[0]?.affinityTimeoutSeconds).toBe(30);
  });

  it('ExternalName, headless and not-yet-allocated Services get no rules', () => {
    expect(rulesOfService(service({ type: 'ExternalName', externalName: 'db.example.com', ports: [] }), [])).toEqual([]);
    expect(rulesOfService(service({ clusterIP: 'None' }), [])).toEqual([]);
    const { clusterIP: _, ...unallocated } = service({}).spec;
    expect(rulesOfService({ ...service({}), spec: unallocated }, [])).toEqual([]);
  });

  it('sameRules compares what gets programmed', () => {
    const [a] = rulesOfService(service({}), [slice([{ addresses: ['10.244.1.9'], conditions: { ready: true } }])]);
    const [b] = rulesOfService(service({}), [slice([{ addresses: ['10.244.1.9'], conditions: { ready: true } }])]);
    const [c] = rulesOfService(service({}), [slice([{ addresses: ['10.244.1.8'], conditions: { ready: true } }])]);
    expect(sameRules(a, b)).toBe(true);
    expect(sameRules(a, c)).toBe(false);
    expect(sameRules(a, undefined)).toBe(false);
  });
});
