// A ServiceCatalog a test fills by hand, for the proxy's own tests (its unit
// test, the nftables suite in network namespaces) and its benchmark; the agent
// itself runs WatchedServiceCatalog.
import { ENDPOINT_SLICE_SERVICE_LABEL, type EndpointSlice, type Service } from '@skiff/api/core';
import { serviceKey, type ServiceCatalog, type ServiceKey } from './service-catalog.js';

type Listener = Parameters<ServiceCatalog['subscribe']>[0];

export class TestCatalog implements ServiceCatalog {
  synced = true;
  private readonly servicesByKey = new Map<ServiceKey, Service>();
  private readonly slicesByKey = new Map<ServiceKey, Map<string, EndpointSlice>>();
  private readonly listeners = new Set<Listener>();

  services(): readonly Service[] {
    return [...this.servicesByKey.values()];
  }

  service(namespace: string, name: string): Service | undefined {
    return this.servicesByKey.get(serviceKey(namespace, name));
  }

  endpointSlices(namespace: string, serviceName: string): readonly EndpointSlice[] {
    return [...(this.slicesByKey.get(serviceKey(namespace, serviceName))?.values() ?? [])];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  putService(service: Service): void {
    const key = serviceKey(service.metadata.namespace ?? 'default', service.metadata.name);
    this.servicesByKey.set(key, service);
    this.emit([key]);
  }

  deleteService(namespace: string, name: string): void {
    const key = serviceKey(namespace, name);
    this.servicesByKey.delete(key);
    this.slicesByKey.delete(key);
    this.emit([key]);
  }

  putSlice(slice: EndpointSlice): void {
    const owner = slice.metadata.labels?.[ENDPOINT_SLICE_SERVICE_LABEL] ?? '';
    const key = serviceKey(slice.metadata.namespace ?? 'default', owner);
    let slices = this.slicesByKey.get(key);
    if (!slices) this.slicesByKey.set(key, (slices = new Map()));
    slices.set(slice.metadata.name, slice);
    this.emit([key]);
  }

  /** Tell listeners the whole view may have changed (as after a re-list). */
  resync(): void {
    for (const listener of [...this.listeners]) listener({ services: new Set(this.servicesByKey.keys()), resync: true });
  }

  private emit(keys: ServiceKey[]): void {
    if (!this.synced) return;
    for (const listener of [...this.listeners]) listener({ services: new Set(keys), resync: false });
  }
}

/** A Service of type ClusterIP (or another type via `spec`) with one TCP port 80 → `targetPort`. */
export function testService(namespace: string, name: string, clusterIP: string, spec: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ protocol: 'TCP', port: 80, targetPort: 80 }], ...spec },
  };
}

/** One slice for Service `name` with the given endpoints (`ready` unless listed in `unready`) on one unnamed TCP port. */
export function testSlice(
  namespace: string,
  name: string,
  ips: readonly string[],
  options: { port?: number; protocol?: 'TCP' | 'UDP'; unready?: readonly string[]; sliceName?: string } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: options.sliceName ?? `${name}-1`, namespace, labels: { [ENDPOINT_SLICE_SERVICE_LABEL]: name } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: !(options.unready ?? []).includes(ip), serving: !(options.unready ?? []).includes(ip) } })),
    ports: [{ protocol: options.protocol ?? 'TCP', port: options.port ?? 80 }],
  };
}
