// Turns a pod's container (Kubernetes semantics) plus its image into what the
// runtime runs: command replaces the image entrypoint, args replace its cmd,
// env is the image's overlaid with the container's, limits become cgroups.
import { cpuMillis, memoryBytes, type Container, type Pod } from '@skiff/api';
import { containerId, LABEL } from './container-labels.js';
import type { ResolvedImage } from './images/image-store.js';
import type { ContainerSpec } from './runtime/runtime.js';

/** A container whose spec cannot be turned into something runnable: CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

const DEFAULT_PIDS_LIMIT = 1024;

export function buildContainerSpec(
  pod: Pod,
  container: Container,
  attempt: number,
  image: ResolvedImage | undefined,
  netnsPath: string | undefined,
): ContainerSpec {
  const uid = pod.metadata.uid ?? '';
  const argv = resolveArgv(container, image);
  if (argv.length === 0) {
    throw new ContainerConfigError(`container ${container.name}: no command: set command in the pod spec or use an image with an entrypoint or cmd`);
  }
  const env: Record<string, string> = {};
  for (const pair of image?.config.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom) {
      throw new ContainerConfigError(`env ${variable.name}: valueFrom is not supported by this agent yet; set value instead`);
    }
    env[variable.name] = variable.value ?? '';
  }
  env.HOSTNAME ??= pod.metadata.name;
  const limits = container.resources?.limits;
  const requests = container.resources?.requests;
  const spec: ContainerSpec = {
    id: containerId(uid, container.name, attempt),
    labels: {
      [LABEL.podUid]: uid,
      [LABEL.podNamespace]: pod.metadata.namespace ?? 'default',
      [LABEL.podName]: pod.metadata.name,
      [LABEL.container]: container.name,
      [LABEL.attempt]: String(attempt),
      [LABEL.graceSeconds]: String(pod.spec.terminationGracePeriodSeconds),
    },
    layers: image?.layers ?? [],
    argv,
    env,
    limits: {
      ...(limits?.memory !== undefined ? { memoryBytes: memoryBytes(limits.memory) } : {}),
      ...(limits?.cpu !== undefined ? { cpuMillis: cpuMillis(limits.cpu) } : {}),
      ...(requests?.cpu !== undefined ? { cpuRequestMillis: cpuMillis(requests.cpu) } : {}),
      pids: DEFAULT_PIDS_LIMIT,
    },
    hostname: pod.metadata.name,
  };
  const workingDir = container.workingDir ?? image?.config.workingDir;
  return { ...spec, ...(workingDir ? { workingDir } : {}), ...(netnsPath ? { netnsPath } : {}) };
}

function resolveArgv(container: Container, image: ResolvedImage | undefined): string[] {
  if (container.command?.length) return [...container.command, ...(container.args ?? [])];
  const entrypoint = image?.config.entrypoint ?? [];
  return [...entrypoint, ...(container.args ?? image?.config.cmd ?? [])];
}
