// The Skiff side of bench:dns, in a process of its own (as in an agent): the
// real ClusterDns over a fixed catalog of N Services, on the address and port
// given. Prints "ready <port>" once it answers; stops on SIGTERM.
import type { EndpointSlice, Service } from '@skiff/api';
import { ClusterDns, type ServiceCatalog } from '@skiff/agent';

const [address = '127.0.0.71', portText = '0', countText = '1000'] = process.argv.slice(2);
const services: Service[] = benchServices(Number(countText)).map(({ name, ip }) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'bench' },
  spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }] },
}));
const byName = new Map(services.map((service) => [service.metadata.name, service]));

/** A catalog that never changes: the bench measures answering, not indexing. */
const catalog: ServiceCatalog = {
  synced: true,
  services: () => services,
  service: (namespace, name) => (namespace === 'bench' ? byName.get(name) : undefined),
  endpointSlices: (): readonly EndpointSlice[] => [],
  subscribe: () => () => undefined,
};

/** The names and ClusterIPs bench:dns serves from both servers. */
export function benchServices(count: number): { name: string; ip: string }[] {
  return Array.from({ length: count }, (_, i) => ({ name: `svc-${i}`, ip: `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
}

if (process.argv[1]?.endsWith('dns-bench-server.js')) {
  const dns = new ClusterDns({ catalog, address, port: Number(portText), upstreams: [] });
  await dns.start();
  process.stdout.write(`ready ${dns.port}\n`);
  process.on('SIGTERM', () => void dns.stop().then(() => process.exit(0)));
}
