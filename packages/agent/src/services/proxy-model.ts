// What the service proxy should program, from the catalog: one entry per
// Service port that has a virtual IP (pure; the nftables text is rendered from
// it by nft-ruleset.ts). Which endpoints get traffic, as kube-proxy decides:
//   - only endpoints whose `conditions.ready` is true (or unset, which the API
//     defines as "ready"); with publishNotReadyAddresses the EndpointSlice
//     controller already marks every endpoint ready;
//   - if a port has no ready endpoint at all, the ones that are still serving
//     while terminating (serving && terminating) take the traffic, so a
//     rolling update whose last pods are shutting down does not black-hole
//     connections (kube-proxy's "terminating endpoints" fallback);
//   - none of either: the port rejects (see nft-ruleset.ts).
// ExternalName Services (a DNS CNAME) and headless ones (clusterIP None) get
// no rules; LoadBalancer is served as a NodePort.
import { isIPv4 } from 'node:net';
import type { Endpoint, EndpointSlice, Service, ServicePort } from '@skiff/api/core';
import { serviceKey, type ServiceCatalogView, type ServiceKey } from './service-catalog.js';

/** kube-proxy's default ClientIP affinity timeout: 3 hours. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

export interface ProxyEndpoint {
  readonly ip: string;
  readonly port: number;
}

export interface ServicePortRules {
  /** `namespace/name/protocol/port`: unique per Service port, and the stem of its chain names. */
  readonly key: string;
  readonly service: ServiceKey;
  readonly clusterIP: string;
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  readonly nodePort?: number;
  /** Sorted by ip, then port; no duplicates. Empty: the port rejects. */
  readonly endpoints: readonly ProxyEndpoint[];
  /** Set for sessionAffinity ClientIP. */
  readonly affinityTimeoutSeconds?: number;
}

/** The rules of one Service (none for ExternalName, headless, or a Service without a ClusterIP yet). */
export function rulesOfService(service: Service, slices: readonly EndpointSlice[]): ServicePortRules[] {
  const spec = service.spec;
  if (spec.type === 'ExternalName') return [];
  const clusterIP = spec.clusterIP;
  if (clusterIP === undefined || !isIPv4(clusterIP)) return [];
  const namespace = service.metadata.namespace ?? 'default';
  const key = serviceKey(namespace, service.metadata.name);
  const nodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const affinity =
    spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS) : undefined;
  return (spec.ports ?? []).map((port) => ({
    key: `${key}/${port.protocol.toLowerCase()}/${port.port}`,
    service: key,
    clusterIP,
    protocol: port.protocol === 'UDP' ? 'udp' : 'tcp',
    port: port.port,
    ...(nodePorts && port.nodePort !== undefined ? { nodePort: port.nodePort } : {}),
    endpoints: endpointsOf(port, spec.ports.length, slices),
    ...(affinity !== undefined ? { affinityTimeoutSeconds: affinity } : {}),
  }));
}

/** Every rule the catalog asks for, by key. */
export function desiredRules(catalog: ServiceCatalogView): Map<string, ServicePortRules> {
  const rules = new Map<string, ServicePortRules>();
  for (const service of catalog.services()) {
    const slices = catalog.endpointSlices(service.metadata.namespace ?? 'default', service.metadata.name);
    for (const rule of rulesOfService(service, slices)) rules.set(rule.key, rule);
  }
  return rules;
}

/** The rules of the given Services only (a Service gone from the catalog has none). */
export function rulesOfServices(catalog: ServiceCatalogView, keys: Iterable<ServiceKey>): Map<ServiceKey, ServicePortRules[]> {
  const result = new Map<ServiceKey, ServicePortRules[]>();
  for (const key of keys) {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const service = catalog.service(namespace, name);
    result.set(key, service ? rulesOfService(service, catalog.endpointSlices(namespace, name)) : []);
  }
  return result;
}

/**
 * The endpoints of one Service port: a slice port matches by name (an unnamed
 * Service port — only allowed when it is the only one — matches an unnamed
 * slice port) and protocol; the slice port carries the resolved target port.
 */
function endpointsOf(port: ServicePort, portCount: number, slices: readonly EndpointSlice[]): ProxyEndpoint[] {
  const ready: ProxyEndpoint[] = [];
  const terminating: ProxyEndpoint[] = [];
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const match = slice.ports.find((p) => (p.name ?? '') === (port.name ?? '') && p.protocol === port.protocol) ??
      (portCount === 1 && slice.ports.length === 1 && slice.ports[0]?.protocol === port.protocol ? slice.ports[0] : undefined);
    if (!match) continue;
    for (const endpoint of slice.endpoints) {
      const into = isReady(endpoint) ? ready : isServingTerminating(endpoint) ? terminating : undefined;
      if (!into) continue;
      for (const ip of endpoint.addresses) if (isIPv4(ip)) into.push({ ip, port: match.port });
    }
  }
  return uniqueSorted(ready.length > 0 ? ready : terminating);
}

function isReady(endpoint: Endpoint): boolean {
  return endpoint.conditions.ready !== false;
}

function isServingTerminating(endpoint: Endpoint): boolean {
  return endpoint.conditions.serving === true && endpoint.conditions.terminating === true;
}

function uniqueSorted(endpoints: ProxyEndpoint[]): ProxyEndpoint[] {
  const byId = new Map(endpoints.map((e) => [`${e.ip}:${e.port}`, e]));
  return [...byId.values()].sort((a, b) => ipNumber(a.ip) - ipNumber(b.ip) || a.port - b.port);
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Two rules program the same thing. */
export function sameRules(a: ServicePortRules | undefined, b: ServicePortRules | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.key === b.key &&
    a.clusterIP === b.clusterIP &&
    a.protocol === b.protocol &&
    a.port === b.port &&
    a.nodePort === b.nodePort &&
    a.affinityTimeoutSeconds === b.affinityTimeoutSeconds &&
    a.endpoints.length === b.endpoints.length &&
    a.endpoints.every((e, i) => e.ip === b.endpoints[i]?.ip && e.port === b.endpoints[i]?.port)
  );
}
