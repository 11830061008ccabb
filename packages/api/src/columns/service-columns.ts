// kubectl's text for Services and EndpointSlices (its printers.go:
// getServiceExternalIP, makePortString, formatDiscoveryPorts,
// formatDiscoveryEndpoints), so `ctl get svc` reads like `kubectl get svc`.
import type { EndpointSlice, Service } from '../core.js';

/** kubectl truncates a LoadBalancer's ingress list to this width unless -o wide. */
const LOAD_BALANCER_WIDTH = 16;
/** kubectl shows this many ports or addresses of a slice, then "+ N more...". */
const SLICE_LIST_MAX = 3;

export function serviceExternalIP(service: Service, wide: boolean): string {
  const externalIPs = (service.spec as { externalIPs?: string[] }).externalIPs ?? [];
  switch (service.spec.type) {
    case 'ExternalName':
      return service.spec.externalName ?? '<none>';
    case 'LoadBalancer': {
      const ingress = loadBalancerText(service, wide);
      if (externalIPs.length > 0) return [...(ingress ? ingress.split(',') : []), ...externalIPs].join(',');
      return ingress || '<pending>';
    }
    default:
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
  }
}

function loadBalancerText(service: Service, wide: boolean): string {
  const names = new Set<string>();
  for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
    if (ingress.ip) names.add(ingress.ip);
    else if (ingress.hostname) names.add(ingress.hostname);
  }
  const text = [...names].sort().join(',');
  return !wide && text.length > LOAD_BALANCER_WIDTH ? `${text.slice(0, LOAD_BALANCER_WIDTH - 3)}...` : text;
}

/** `80/TCP`, `80:30080/TCP`, comma-separated; `<none>` without ports. */
export function servicePorts(service: Service): string {
  const text = (service.spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(',');
  return text || '<none>';
}

export function serviceClusterIP(service: Service): string {
  return service.spec.clusterIP || '<none>';
}

export function slicePorts(slice: EndpointSlice): string {
  return listWithMore((slice.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : (p.name ?? '*'))));
}

export function sliceEndpoints(slice: EndpointSlice): string {
  return listWithMore((slice.endpoints ?? []).flatMap((e) => e.addresses));
}

function listWithMore(items: readonly string[]): string {
  if (items.length === 0) return '<unset>';
  const shown = items.slice(0, SLICE_LIST_MAX).join(',');
  return items.length > SLICE_LIST_MAX ? `${shown} + ${items.length - SLICE_LIST_MAX} more...` : shown;
}
