// `ctl describe svc` in kubectl's layout (describe.go describeService): the
// Service's addresses and, per port, its target, node port and the ready
// endpoints serving it (from the Service's EndpointSlices), then its events.
import type { EndpointSlice, Event, Service } from '@skiff/api';
import { eventsSection } from './describe-object.js';

/** kubectl lists this many endpoints per port, then "+ N more...". */
const MAX_ENDPOINTS_SHOWN = 3;
/** kubectl's tabwriter puts values after its longest label, "External Traffic Policy:". */
const LABEL_WIDTH = 26;

export function describeService(service: Service, slices: readonly EndpointSlice[], events: readonly Event[], now: Date): string {
  const { metadata, spec } = service;
  const lines = [
    field('Name', metadata.name),
    field('Namespace', metadata.namespace ?? 'default'),
    field('Labels', multiline(sortedPairs(metadata.labels))),
    field('Annotations', multiline(sortedPairs(metadata.annotations))),
    field('Selector', sortedPairs(spec.selector).join(',') || '<none>'),
    field('Type', spec.type),
  ];
  if (spec.type !== 'ExternalName') {
    lines.push(field('IP Family Policy', 'SingleStack'), field('IP Families', 'IPv4'));
    lines.push(field('IP', spec.clusterIP || '<none>'), field('IPs', (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).join(',') || '<none>'));
  } else {
    lines.push(field('External Name', spec.externalName ?? '<none>'));
  }
  const ingress = (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname).filter(Boolean);
  if (ingress.length > 0) lines.push(field('LoadBalancer Ingress', `${ingress.join(', ')} (served as NodePort on every node)`));
  for (const port of spec.ports ?? []) {
    const name = port.name || '<unset>';
    lines.push(field('Port', `${name}  ${port.port}/${port.protocol}`));
    lines.push(field('TargetPort', `${port.targetPort}/${port.protocol}`));
    if (port.nodePort) lines.push(field('NodePort', `${name}  ${port.nodePort}/${port.protocol}`));
    lines.push(field('Endpoints', readyEndpoints(slices, port.name)));
  }
  if ((spec.ports ?? []).length === 0 && spec.type !== 'ExternalName') lines.push(field('Endpoints', readyEndpoints(slices, undefined)));
  lines.push(field('Session Affinity', spec.sessionAffinity ?? 'None'));
  if (spec.sessionAffinity === 'ClientIP') {
    lines.push(field('Session Affinity Timeout', `${spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800}s`));
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') lines.push(field('External Traffic Policy', 'Cluster'));
  if (spec.type !== 'ExternalName') lines.push(field('Internal Traffic Policy', 'Cluster'));
  lines.push(eventsSection(events, now).replace(/^Events: {12}/, `${'Events:'.padEnd(LABEL_WIDTH)}`));
  return `${lines.join('\n')}\n`;
}

/** Ready addresses with the slice's port of that name: `10.244.1.2:8080,10.244.1.3:8080`, or `<none>`. */
export function readyEndpoints(slices: readonly EndpointSlice[], portName: string | undefined): string {
  const list: string[] = [];
  for (const slice of slices) {
    const ports = slice.ports.length === 0 ? [undefined] : slice.ports.filter((p) => (p.name ?? '') === (portName ?? ''));
    for (const port of ports) {
      for (const endpoint of slice.endpoints) {
        if (endpoint.conditions.ready === false) continue;
        for (const address of endpoint.addresses) list.push(port ? `${address}:${port.port}` : address);
      }
    }
  }
  if (list.length === 0) return '<none>';
  const shown = list.slice(0, MAX_ENDPOINTS_SHOWN).join(',');
  return list.length > MAX_ENDPOINTS_SHOWN ? `${shown} + ${list.length - MAX_ENDPOINTS_SHOWN} more...` : shown;
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(LABEL_WIDTH)}${value}`;
}

function sortedPairs(record: Record<string, string> | undefined): string[] {
  return Object.entries(record ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

function multiline(pairs: readonly string[]): string {
  return pairs.length === 0 ? '<none>' : pairs.join(`\n${' '.repeat(LABEL_WIDTH)}`);
}
