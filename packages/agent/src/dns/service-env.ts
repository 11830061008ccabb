// Kubernetes' service environment variables (kubelet's envvars.FromServices):
// for every Service of the pod's namespace that has a cluster IP when a
// container starts, <NAME>_SERVICE_HOST and _SERVICE_PORT (its first port),
// _SERVICE_PORT_<PORTNAME> per named port, and the Docker-link ones:
// <NAME>_PORT=tcp://ip:port and per port <NAME>_PORT_<port>_<PROTO>=…, _PROTO,
// _PORT, _ADDR. Names upper-cased with "-" → "_". enableServiceLinks: false
// turns them off. Headless and ExternalName Services have no cluster IP and no
// variables.
import type { Pod, Service } from '@skiff/api/core';

export function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function hasClusterIP(service: Service): service is Service & { spec: { clusterIP: string } } {
  const ip = service.spec.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

/** The variables of `services` that a container of `pod` gets (image env < these < the container's own env). */
export function serviceEnvironment(pod: Pod, services: readonly Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (pod.spec.enableServiceLinks === false) return env;
  const namespace = pod.metadata.namespace ?? 'default';
  const mine = services
    .filter((service) => (service.metadata.namespace ?? 'default') === namespace && hasClusterIP(service))
    // Kubelet walks them in a map's order; a stable order keeps the spec of a restarted container the same.
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const service of mine) {
    const ip = service.spec.clusterIP as string;
    const name = envName(service.metadata.name);
    const ports = service.spec.ports ?? [];
    const first = ports[0];
    if (first === undefined) continue;
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(first.port);
    for (const port of ports) if (port.name) env[`${name}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
    ports.forEach((port, i) => {
      const protocol = port.protocol ?? 'TCP';
      const url = `${protocol.toLowerCase()}://${ip}:${port.port}`;
      if (i === 0) env[`${name}_PORT`] = url;
      const prefix = `${name}_PORT_${port.port}_${protocol.toUpperCase()}`;
      env[prefix] = url;
      env[`${prefix}_PROTO`] = protocol.toLowerCase();
      env[`${prefix}_PORT`] = String(port.port);
      env[`${prefix}_ADDR`] = ip;
    });
  }
  return env;
}
