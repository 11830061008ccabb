// A Service's rules between fields, as Kubernetes' ValidateService states
// them: which ports a type needs, which fields a type forbids, uniqueness of
// port names, numbers and node ports. Whether an IP or node port is free or in
// range is the server's business (api/service-allocations.ts): only it knows
// the configured ranges.
import type { PathSegment } from './field-path.js';
import { isDns1123Subdomain } from './names.js';
import { DEFAULT_SESSION_AFFINITY_SECONDS } from './schema/service.js';
import { arrayAt, isRecord, recordAt, stringAt, type JsonRecord } from './json-guards.js';

type Report = (segments: readonly PathSegment[], message: string) => void;

const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/** True for dotted-quad IPv4 text without leading zeros. */
export function isIpv4Address(value: string): boolean {
  return IPV4.test(value);
}

/** Types whose ports get a node port. */
export function usesNodePorts(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

export function checkService(spec: JsonRecord | undefined, report: Report): void {
  if (!spec) return;
  const type = stringAt(spec, 'type') ?? 'ClusterIP';
  const clusterIP = stringAt(spec, 'clusterIP');
  const headless = clusterIP === 'None';
  checkPorts(spec, type, headless, report);
  checkClusterIPs(spec, type, clusterIP, report);
  if (type === 'ExternalName') {
    const externalName = stringAt(spec, 'externalName');
    if (externalName === undefined || externalName === '') {
      report(['spec', 'externalName'], 'is required when type is ExternalName');
    } else if (!isDns1123Subdomain(externalName.replace(/\.$/, ''))) {
      report(
        ['spec', 'externalName'],
        `${JSON.stringify(externalName)} must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".", starting and ending alphanumeric), e.g. "db.example.com"`,
      );
    }
  }
  const affinity = stringAt(spec, 'sessionAffinity') ?? 'None';
  if (affinity === 'ClientIP' && type === 'ExternalName') {
    report(['spec', 'sessionAffinity'], 'must be None when type is ExternalName');
  }
  if (affinity === 'None' && spec['sessionAffinityConfig'] !== undefined) {
    report(['spec', 'sessionAffinityConfig'], 'must not be set when sessionAffinity is None');
  }
}

function checkPorts(spec: JsonRecord, type: string, headless: boolean, report: Report): void {
  const ports = arrayAt(spec, 'ports');
  if (ports.length === 0 && !headless && type !== 'ExternalName') {
    report(['spec', 'ports'], 'is required: at least one port (only headless and ExternalName Services may have none)');
  }
  const names = new Set<string>();
  const numbers = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    if (!isRecord(port)) return;
    const at = ['spec', 'ports', i];
    const name = stringAt(port, 'name');
    const protocol = stringAt(port, 'protocol') ?? 'TCP';
    if (name === undefined || name === '') {
      if (ports.length > 1) report([...at, 'name'], 'is required when a Service has more than one port');
    } else {
      if (names.has(name)) report([...at, 'name'], `duplicate port name ${JSON.stringify(name)}`);
      names.add(name);
    }
    if (typeof port['port'] === 'number') {
      const key = `${port['port']}/${protocol}`;
      if (numbers.has(key)) report([...at, 'port'], `duplicate port ${key}`);
      numbers.add(key);
    }
    const nodePort = port['nodePort'];
    if (nodePort === undefined) return;
    if (!usesNodePorts(type)) {
      report([...at, 'nodePort'], `may not be set when type is ${type} (only NodePort and LoadBalancer Services have node ports)`);
    } else if (typeof nodePort === 'number') {
      const key = `${nodePort}/${protocol}`;
      if (nodePorts.has(key)) report([...at, 'nodePort'], `duplicate node port ${key}`);
      nodePorts.add(key);
    }
  });
}

function checkClusterIPs(spec: JsonRecord, type: string, clusterIP: string | undefined, report: Report): void {
  const clusterIPs = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as unknown[]) : undefined;
  if (type === 'ExternalName') {
    if (clusterIP !== undefined && clusterIP !== '') {
      report(['spec', 'clusterIP'], 'may not be set when type is ExternalName (an ExternalName Service is a DNS alias, it has no IP)');
    } else if (clusterIPs !== undefined && clusterIPs.length > 0) {
      report(['spec', 'clusterIPs'], 'may not be set when type is ExternalName');
    }
    return;
  }
  if (clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None' && !isIpv4Address(clusterIP)) {
    report(['spec', 'clusterIP'], `Invalid value: ${JSON.stringify(clusterIP)}: must be an IPv4 address (e.g. 10.96.0.10), "None" for a headless Service, or empty`);
  }
  if (clusterIP === 'None' && usesNodePorts(type)) {
    report(['spec', 'clusterIP'], `Invalid value: "None": may not be "None" (headless) when type is ${type}`);
  }
  if (clusterIPs === undefined) return;
  if (clusterIPs.length > 1) report(['spec', 'clusterIPs'], 'must hold at most one address (the service network is IPv4 only)');
  const first = clusterIPs[0];
  if (first !== undefined && clusterIP !== undefined && clusterIP !== '' && first !== clusterIP) {
    report(['spec', 'clusterIPs', 0], `Invalid value: ${JSON.stringify(first)}: must be the same as spec.clusterIP ${JSON.stringify(clusterIP)}`);
  }
}

/** Ports are absent on ExternalName and headless Services; everything downstream reads a list. */
export function defaultService(spec: JsonRecord | undefined): void {
  if (!spec) return;
  if (spec['ports'] === undefined) spec['ports'] = [];
  for (const port of arrayAt(spec, 'ports')) {
    if (isRecord(port) && port['targetPort'] === undefined && port['port'] !== undefined) port['targetPort'] = port['port'];
  }
  const clusterIPs = spec['clusterIPs'];
  if (spec['clusterIP'] === undefined && Array.isArray(clusterIPs) && typeof clusterIPs[0] === 'string') spec['clusterIP'] = clusterIPs[0];
  if (typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== '' && clusterIPs === undefined) spec['clusterIPs'] = [spec['clusterIP']];
  if (spec['clusterIP'] === '') delete spec['clusterIP'];
  if (spec['sessionAffinity'] === 'ClientIP') {
    const config = recordAt(spec, 'sessionAffinityConfig') ?? {};
    const clientIP = recordAt(config, 'clientIP') ?? {};
    if (clientIP['timeoutSeconds'] === undefined) clientIP['timeoutSeconds'] = DEFAULT_SESSION_AFFINITY_SECONDS;
    config['clientIP'] = clientIP;
    spec['sessionAffinityConfig'] = config;
  }
}
