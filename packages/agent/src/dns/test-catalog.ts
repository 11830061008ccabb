// Builders of Services and EndpointSlices for the DNS unit tests, over the
// proxy's hand-filled TestCatalog (one module under test: the real catalog, a
// list+watch through the control plane, has its own tests).
import { ENDPOINT_SLICE_SERVICE_LABEL, type EndpointSlice, type Service, type ServicePort } from '@skiff/api/core';
export { TestCatalog as MemoryServiceCatalog } from '../services/test-catalog.js';

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
