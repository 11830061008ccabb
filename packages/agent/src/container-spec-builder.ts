// Turns a pod's container (Kubernetes semantics) plus its image into what the
// runtime runs: command replaces the image entrypoint, args replace its cmd,
// env is the image's overlaid with the service variables and then the
// container's own, limits become cgroups.
import { cpuMillis, memoryBytes, type Container, type Pod } from '@skiff/api/core';
import { podCgroupNameOf } from './cgroups/pod-cgroup-layout.js';
import { containerId, LABEL } from './container-labels.js';
import { memberGroupsOf, primaryGroupOf, resolveImageUser, UnknownImageUserError } from './image-user.js';
import type { ResolvedImage } from './images/image-store.js';
import { normalizeCapability, UnknownCapabilityError } from './runtime/capabilities.js';
import type { BindMount, ContainerSecurity, ContainerSpec } from './runtime/runtime.js';

import { ContainerConfigError } from './container-config-error.js';
import { expandArgs, type ResolvedEnv } from './env/container-env.js';

export { ContainerConfigError };

const DEFAULT_PIDS_LIMIT = 1024;

export function buildContainerSpec(
  pod: Pod,
  container: Container,
  attempt: number,
  image: ResolvedImage | undefined,
  netnsPath: string | undefined,
  /** The pod's own /etc/hosts, /etc/hostname and /etc/resolv.conf (see pod-etc-files.ts). */
  podMounts: readonly BindMount[] = [],
  /** Kubernetes' service variables for the pod (dns/service-env.ts): over the image's env, under the container's. */
  serviceEnv: Readonly<Record<string, string>> = {},
  /** The container's env resolved (env/container-env.ts: valueFrom, envFrom, $(VAR)); it then replaces serviceEnv and env. */
  resolved?: ResolvedEnv,
  /** The container's volumeMounts, resolved to host paths (volumes/pod-volumes.ts). */
  volumeMounts: readonly BindMount[] = [],
): ContainerSpec {
  const uid = pod.metadata.uid ?? '';
  const argv = resolveArgv(resolved ? { ...container, ...expandArgs(container, resolved.env) } : container, image);
  if (argv.length === 0) {
    throw new ContainerConfigError(`container ${container.name}: no command: set command in the pod spec or use an image with an entrypoint or cmd`);
  }
  const env: Record<string, string> = {};
  for (const pair of image?.config.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (resolved) Object.assign(env, resolved.env);
  else Object.assign(env, serviceEnv);
  for (const variable of resolved ? [] : (container.env ?? [])) {
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
    // spec.hostname when set (an Indexed Job's <job>-<index>, a StatefulSet-style pod), else its name, as kubelet.
    hostname: pod.spec.hostname ?? pod.metadata.name,
    security: resolveSecurity(pod, container, image),
    ...(podMounts.length > 0 || volumeMounts.length > 0 ? { mounts: [...podMounts, ...volumeMounts] } : {}),
    // Below the pod's cgroup, which is below its QoS class's (see cgroups/pod-cgroup-layout.ts).
    cgroupParent: podCgroupNameOf(pod),
  };
  const workingDir = container.workingDir ?? image?.config.workingDir;
  return { ...spec, ...(workingDir ? { workingDir } : {}), ...(netnsPath ? { netnsPath } : {}) };
}

function resolveArgv(container: Container, image: ResolvedImage | undefined): string[] {
  if (container.command?.length) return [...container.command, ...(container.args ?? [])];
  const entrypoint = image?.config.entrypoint ?? [];
  return [...entrypoint, ...(container.args ?? image?.config.cmd ?? [])];
}

/**
 * The container's securityContext over the pod's, and the user over the
 * image's: what the container runs as and may do. Refuses (a
 * CreateContainerConfigError, as kubelet) runAsNonRoot for a root user, a
 * Localhost seccomp profile, unknown capabilities and users the image lacks.
 */
export function resolveSecurity(pod: Pod, container: Container, image: ResolvedImage | undefined): ContainerSecurity {
  const podContext = pod.spec.securityContext ?? {};
  const context = container.securityContext ?? {};
  const where = `(pod: "${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})", container: ${container.name})`;
  const layers = image?.layers ?? [];
  const runAsUser = context.runAsUser ?? podContext.runAsUser;
  const runAsGroup = context.runAsGroup ?? podContext.runAsGroup;
  let user: { uid: number; gid: number };
  try {
    user =
      runAsUser !== undefined
        ? { uid: runAsUser, gid: primaryGroupOf(runAsUser, layers) ?? 0 }
        : resolveImageUser(image?.config.user, layers);
  } catch (error) {
    if (error instanceof UnknownImageUserError) throw new ContainerConfigError(`${error.message} ${where}`);
    throw error;
  }
  if ((context.runAsNonRoot ?? podContext.runAsNonRoot) === true && user.uid === 0) {
    throw new ContainerConfigError(
      runAsUser === 0
        ? `container's runAsUser breaks non-root policy ${where}`
        : `container has runAsNonRoot and image will run as root ${where}`,
    );
  }
  const seccomp: string = context.seccompProfile?.type ?? podContext.seccompProfile?.type ?? 'RuntimeDefault';
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Unconfined') {
    throw new ContainerConfigError(`seccompProfile ${seccomp} is not supported: use RuntimeDefault or Unconfined ${where}`);
  }
  if (context.privileged === true && context.allowPrivilegeEscalation === false) {
    throw new ContainerConfigError(`cannot set allowPrivilegeEscalation to false and privileged to true ${where}`);
  }
  const additionalGids = [
    ...memberGroupsOf(user.uid, layers),
    ...(podContext.supplementalGroups ?? []),
    ...(podContext.fsGroup !== undefined ? [podContext.fsGroup] : []),
  ];
  return {
    uid: user.uid,
    gid: runAsGroup ?? user.gid,
    ...(additionalGids.length > 0 ? { additionalGids } : {}),
    ...(context.privileged === true ? { privileged: true } : {}),
    ...(context.readOnlyRootFilesystem === true ? { readOnlyRootFilesystem: true } : {}),
    ...(context.allowPrivilegeEscalation === true ? { allowPrivilegeEscalation: true } : {}),
    ...(context.capabilities?.add?.length ? { capabilitiesAdd: capabilities(context.capabilities.add, where) } : {}),
    ...(context.capabilities?.drop?.length ? { capabilitiesDrop: capabilities(context.capabilities.drop, where) } : {}),
    seccomp,
  };
}

function capabilities(names: readonly string[], where: string): string[] {
  try {
    return names.map(normalizeCapability);
  } catch (error) {
    if (error instanceof UnknownCapabilityError) throw new ContainerConfigError(`${error.message} ${where}`);
    throw error;
  }
}
