import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Pod } from './types.js';
import { formatIssue, validateManifest } from './validate.js';

/** A pod with one container whose extra fields are `container` (YAML, indented under the container). */
function podWith(container: string): unknown {
  return parse(`apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: main
      image: busybox:1.36
      ports: [{ name: http, containerPort: 8080 }]
${container.replace(/^/gm, '      ')}
`) as unknown;
}

function errors(container: string): string[] {
  return validateManifest(podWith(container)).errors.map(formatIssue);
}

describe('probes and lifecycle hooks in a manifest', () => {
  it('accepts a grpc probe as the microservices demo writes it, with Kubernetes defaults', () => {
    // As GoogleCloudPlatform/microservices-demo's services declare theirs.
    const result = validateManifest(
      podWith(`readinessProbe:
  periodSeconds: 5
  grpc: { port: 8080 }
livenessProbe:
  grpc: { port: 8080, service: shop.Cart }
startupProbe:
  grpc: { port: 8080 }
  failureThreshold: 30`),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const container = (result.object as Pod).spec.containers[0];
    expect(container?.readinessProbe).toEqual({ grpc: { port: 8080 }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    expect(container?.livenessProbe?.grpc).toEqual({ port: 8080, service: 'shop.Cart' });
    expect(container?.startupProbe).toMatchObject({ failureThreshold: 30, periodSeconds: 10 });
  });

  it('defaults an httpGet to path / and scheme HTTP, and keeps headers and named ports', () => {
    const result = validateManifest(podWith(`livenessProbe:\n  httpGet: { port: http, httpHeaders: [{ name: X-Probe, value: "1" }] }`));
    expect(result.errors).toEqual([]);
    expect((result.object as Pod).spec.containers[0]?.livenessProbe?.httpGet).toEqual({ port: 'http', path: '/', scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: '1' }] });
  });

  it('accepts postStart and preStop hooks (exec, httpGet, sleep)', () => {
    const result = validateManifest(podWith(`lifecycle:\n  postStart: { exec: { command: [touch, /tmp/started] } }\n  preStop: { httpGet: { port: 8080, path: /quit } }`));
    expect(result.errors).toEqual([]);
    expect(validateManifest(podWith(`lifecycle:\n  preStop: { sleep: { seconds: 5 } }`)).errors).toEqual([]);
  });

  it('needs exactly one handler', () => {
    expect(errors(`readinessProbe: { periodSeconds: 3 }`)).toEqual(['spec.containers[0].readinessProbe: must specify a handler type: one of exec, httpGet, tcpSocket or grpc']);
    expect(errors(`livenessProbe: { exec: { command: [/bin/true] }, tcpSocket: { port: 80 } }`)).toEqual([
      'spec.containers[0].livenessProbe: may not specify more than 1 handler type (found exec and tcpSocket): one of exec, httpGet, tcpSocket or grpc',
    ]);
    expect(errors(`lifecycle: { preStop: {} }`)).toEqual(['spec.containers[0].lifecycle.preStop: must specify a handler type: one of exec, httpGet or sleep']);
  });

  it('holds liveness and startup probes to one success, and readiness probes to no kill grace period', () => {
    expect(errors(`livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 }`)).toEqual(['spec.containers[0].livenessProbe.successThreshold: must be 1 for a liveness probe']);
    expect(errors(`startupProbe: { tcpSocket: { port: 80 }, successThreshold: 3 }`)).toEqual(['spec.containers[0].startupProbe.successThreshold: must be 1 for a startup probe']);
    expect(errors(`readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 3 }`)).toEqual([]);
    expect(errors(`readinessProbe: { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 3 }`)).toEqual([
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: must not be set for readinessProbes',
    ]);
  });

  it('names the field of a bad value', () => {
    expect(errors(`readinessProbe: { grpc: { port: grpc } }`)).toEqual(['spec.containers[0].readinessProbe.grpc.port: must be a port number between 1 and 65535']);
    expect(errors(`readinessProbe: { httpGet: { port: 80, scheme: FTP } }`)[0]).toMatch(/^spec\.containers\[0\]\.readinessProbe\.httpGet\.scheme: /);
    expect(errors(`readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: "a b", value: x }] } }`)).toEqual([
      'spec.containers[0].readinessProbe.httpGet.httpHeaders[0].name: must be an HTTP header name like X-Probe (letters, digits and "-")',
    ]);
    expect(errors(`livenessProbe: { exec: { command: [/bin/true] }, periodSeconds: 0 }`)[0]).toMatch(/^spec\.containers\[0\]\.livenessProbe\.periodSeconds: /);
  });
});
