// An in-memory ServiceCatalog for the DNS unit tests (one module under test:
// the real catalog, a list+watch through the control plane, is the service
// proxy's and has its own tests). Changes notify subscribers as the real one does.
import { ENDPOINT_SLICE_SERVICE_LABEL, type EndpointSlice, type Service, type ServicePort } from '@skiff/api/core';
import { serviceKey, type ServiceCatalog, type ServiceKey } from '../services/service-catalog.js';

type Listener = Parameters<ServiceCatalog['subscribe']>[0];

export class MemoryServiceCatalog implements ServiceCatalog {
  synced = true;
  private readonly byKey = new Map<ServiceKey, Service>();
  private readonly slices = new Map<ServiceKey, Map<string, EndpointSlice>>();
  private readonly listeners = new Set<Listener>();

  services(): readonly Service[] {
    return [...this.byKey.values()];
  }

  service(namespace: string, name: string): Service | undefined {
    return this.byKey.get(serviceKey(namespace, name));
  }

  endpointSlices(namespace: string, serviceName: string): readonly EndpointSlice[] {
    return [...(this.slices.get(serviceKey(namespace, serviceName))?.values() ?? [])];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  putService(service: Service): void {
    const key = serviceKey(service.metadata.namespace ?? 'default', service.metadata.name);
    this.byKey.set(key, service);
    this.notify(key);
  }

  deleteService(namespace: string, name: string): void {
    const key = serviceKey(namespace, name);
    this.byKey.delete(key);
    this.notify(key);
  }

  putSlice(slice: EndpointSlice): void {
    const namespace = slice.metadata.namespace ?? 'default';
    const key = serviceKey(namespace, slice.metadata.labels?.[ENDPOINT_SLICE_SERVICE_LABEL] ?? '');
    const map = this.slices.get(key) ?? new Map<string, EndpointSlice>();
    map.set(slice.metadata.name, slice);
    this.slices.set(key, map);
    this.notify(key);
  }

  /** A re-list: every subscriber is told the whole view may have changed. */
  resync(): void {
    this.synced = true;
    for (const listener of this.listeners) listener({ services: new Set(), resync: true });
  }

  private notify(key: ServiceKey): void {
    for (const listener of this.listeners) listener({ services: new Set([key]), resync: false });
  }
}

export function service(namespace: string, name: string, spec: Partial<Omit<Service['spec'], 'ports'>> & { ports?: Partial<ServicePort>[] } = {}): Service {
  const ports = (spec.ports ?? []).map((port) => ({
    ...port,
    protocol: port.protocol ?? 'TCP',
    port: port.port ?? 80,
    targetPort: port.targetPort ?? port.port ?? 80,
  }));
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ClusterIP', ...spec, ports } };
}

export function slice(namespace: string, serviceName: string, name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = []): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { [ENDPOINT_SLICE_SERVICE_LABEL]: serviceName } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}
