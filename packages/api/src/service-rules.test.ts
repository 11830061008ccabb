// A Service's validation, case by case, with the exact field paths Kubernetes names.
import { describe, expect, it } from 'vitest';
import type { Service } from './service-types.js';
import { validateManifest } from './validate.js';

function check(spec: Record<string, unknown>): { paths: string[]; messages: string[]; object?: Service } {
  const result = validateManifest({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec });
  return {
    paths: result.errors.map((e) => e.path),
    messages: result.errors.map((e) => `${e.path}: ${e.message}`),
    ...(result.object ? { object: result.object as Service } : {}),
  };
}

describe('Service validation', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['port 0', { ports: [{ port: 0 }] }, ['spec.ports[0].port']],
    ['port 65536', { ports: [{ port: 65536 }] }, ['spec.ports[0].port']],
    ['targetPort 70000', { ports: [{ port: 80, targetPort: 70000 }] }, ['spec.ports[0].targetPort']],
    ['targetPort not an IANA name', { ports: [{ port: 80, targetPort: 'my--port' }] }, ['spec.ports[0].targetPort']],
    ['targetPort name too long', { ports: [{ port: 80, targetPort: 'abcdefghijklmnop' }] }, ['spec.ports[0].targetPort']],
    ['protocol SCTP', { ports: [{ port: 80, protocol: 'SCTP' }] }, ['spec.ports[0].protocol']],
    ['no ports', { ports: [] }, ['spec.ports']],
    ['ports absent', { selector: { app: 'web' } }, ['spec.ports']],
    ['two unnamed ports', { ports: [{ port: 80 }, { name: 'b', port: 81 }] }, ['spec.ports[0].name']],
    ['duplicate port names', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, ['spec.ports[1].name']],
    ['duplicate port and protocol', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }, ['spec.ports[1].port']],
    ['nodePort on ClusterIP', { ports: [{ port: 80, nodePort: 30080 }] }, ['spec.ports[0].nodePort']],
    ['nodePort out of 1-65535', { type: 'NodePort', ports: [{ port: 80, nodePort: 70000 }] }, ['spec.ports[0].nodePort']],
    [
      'duplicate nodePort',
      { type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }] },
      ['spec.ports[1].nodePort'],
    ],
    ['ExternalName without externalName', { type: 'ExternalName' }, ['spec.externalName']],
    ['ExternalName with a bad name', { type: 'ExternalName', externalName: 'Not_A_Name' }, ['spec.externalName']],
    ['ExternalName with a clusterIP', { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.96.0.5' }, ['spec.clusterIP']],
    ['ExternalName with ClientIP affinity', { type: 'ExternalName', externalName: 'db.example.com', sessionAffinity: 'ClientIP' }, ['spec.sessionAffinity']],
    ['headless NodePort', { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }, ['spec.clusterIP']],
    ['clusterIP not an IP', { clusterIP: '10.96.0.300', ports: [{ port: 80 }] }, ['spec.clusterIP']],
    ['clusterIPs disagree', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.6'], ports: [{ port: 80 }] }, ['spec.clusterIPs[0]']],
    ['two clusterIPs', { clusterIPs: ['10.96.0.5', '10.96.0.6'], ports: [{ port: 80 }] }, ['spec.clusterIPs']],
    ['sessionAffinity Sticky', { sessionAffinity: 'Sticky', ports: [{ port: 80 }] }, ['spec.sessionAffinity']],
    ['timeoutSeconds 0', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } }, ports: [{ port: 80 }] }, ['spec.sessionAffinityConfig.clientIP.timeoutSeconds']],
    [
      'timeoutSeconds 86401',
      { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86_401 } }, ports: [{ port: 80 }] },
      ['spec.sessionAffinityConfig.clientIP.timeoutSeconds'],
    ],
    ['affinity config without ClientIP', { sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] }, ['spec.sessionAffinityConfig']],
    ['publishNotReadyAddresses not a boolean', { publishNotReadyAddresses: 'yes', ports: [{ port: 80 }] }, ['spec.publishNotReadyAddresses']],
  ])('%s is rejected at exactly its field', (_name, spec, paths) => {
    expect(check(spec).paths).toEqual(paths);
  });

  it('says why, in words a user can act on', () => {
    expect(check({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }).messages).toEqual([
      'spec.clusterIP: Invalid value: "None": may not be "None" (headless) when type is NodePort',
    ]);
    expect(check({ ports: [{ port: 80, nodePort: 30080 }] }).messages).toEqual([
      'spec.ports[0].nodePort: may not be set when type is ClusterIP (only NodePort and LoadBalancer Services have node ports)',
    ]);
    expect(check({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }).messages).toEqual(['spec.ports[1].name: duplicate port name "a"']);
  });

  it.each<[string, Record<string, unknown>]>([
    ['headless without ports', { clusterIP: 'None', selector: { app: 'web' } }],
    ['ExternalName without ports', { type: 'ExternalName', externalName: 'db.example.com.' }],
    ['LoadBalancer with a nodePort', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] }],
    ['the same nodePort for TCP and UDP', { type: 'NodePort', ports: [{ name: 'dns', port: 53, nodePort: 30053 }, { name: 'dns-udp', port: 53, protocol: 'UDP', nodePort: 30053 }] }],
    ['a named targetPort', { ports: [{ port: 80, targetPort: 'http' }] }],
  ])('%s is valid', (_name, spec) => {
    expect(check(spec).messages).toEqual([]);
  });

  it('defaults: type, protocol, targetPort, sessionAffinity, the ClientIP timeout, clusterIPs and ports', () => {
    expect(check({ ports: [{ port: 80 }] }).object?.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(check({ sessionAffinity: 'ClientIP', clusterIP: '10.96.0.9', ports: [{ port: 80 }] }).object?.spec).toMatchObject({
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10_800 } },
      clusterIP: '10.96.0.9',
      clusterIPs: ['10.96.0.9'],
    });
    expect(check({ type: 'ExternalName', externalName: 'db.example.com' }).object?.spec.ports).toEqual([]);
  });
});
