// A container's environment as kubelet makes it (makeEnvironmentVariables):
// envFrom first (each ConfigMap's or Secret's keys, prefixed; names that are
// not valid variable names skipped and told as an InvalidEnvironmentVariableNames
// event), then env in order — values expanded with $(VAR) over what came
// before and the service variables, valueFrom from ConfigMap and Secret keys,
// pod fields and container resources — then the service variables the
// container did not set. A missing object or key that is not optional is a
// CreateContainerConfigError with kubelet's message. Command and args are
// then expanded over the result.
import { isEnvVarName, type ConfigMap, type Container, type Pod, type Secret } from '@skiff/api/core';
import { ContainerConfigError } from '../container-config-error.js';
import { notFoundMessage, secretBytes, type ConfigSources } from './config-sources.js';
import { podFieldValue, resourceFieldValue, type NodeAllocatable, type PodAddresses } from './downward-values.js';
import { expand, lookupIn } from './expansion.js';

export interface ContainerEnvContext extends PodAddresses {
  readonly sources: ConfigSources;
  /** Kubernetes' service variables for the pod (dns/service-env.ts). */
  readonly serviceEnv: Readonly<Record<string, string>>;
  readonly allocatable: NodeAllocatable;
}

export interface ResolvedEnv {
  /** The container's variables, the service variables included (the image's go under them). */
  readonly env: Readonly<Record<string, string>>;
  /** kubelet's InvalidEnvironmentVariableNames warnings, one per envFrom source that had some. */
  readonly invalidNames: readonly string[];
}

export async function resolveContainerEnv(pod: Pod, container: Container, context: ContainerEnvContext): Promise<ResolvedEnv> {
  const namespace = pod.metadata.namespace ?? 'default';
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const configMap = async (name: string): Promise<ConfigMap | undefined> => {
    if (!configMaps.has(name)) configMaps.set(name, await context.sources.configMap(namespace, name));
    return configMaps.get(name);
  };
  const secret = async (name: string): Promise<Secret | undefined> => {
    if (!secrets.has(name)) secrets.set(name, await context.sources.secret(namespace, name));
    return secrets.get(name);
  };
  const env: Record<string, string> = {};
  const invalidNames: string[] = [];

  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    let entries: [string, string][];
    let what: string;
    if (source.configMapRef) {
      const { name, optional } = source.configMapRef;
      const found = await configMap(name);
      if (!found) {
        if (optional === true) continue;
        throw new ContainerConfigError(notFoundMessage('configmap', name));
      }
      entries = Object.entries(found.data ?? {});
      what = `configMap ${namespace}/${name}`;
    } else if (source.secretRef) {
      const { name, optional } = source.secretRef;
      const found = await secret(name);
      if (!found) {
        if (optional === true) continue;
        throw new ContainerConfigError(notFoundMessage('secret', name));
      }
      entries = Object.keys(found.data ?? {}).map((key) => [key, secretBytes(found, key)?.toString('utf8') ?? '']);
      what = `secret ${namespace}/${name}`;
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [key, value] of entries) {
      const name = prefix + key;
      if (!isEnvVarName(name)) invalid.push(name);
      else env[name] = value;
    }
    if (invalid.length > 0) {
      invalidNames.push(`Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.`);
    }
  }

  const lookup = lookupIn(env, context.serviceEnv);
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', lookup);
      continue;
    }
    if (from.configMapKeyRef) {
      const { name, key, optional } = from.configMapKeyRef;
      const found = await configMap(name);
      if (!found) {
        if (optional === true) continue;
        throw new ContainerConfigError(notFoundMessage('configmap', name));
      }
      const value = found.data?.[key];
      if (value === undefined) {
        if (optional === true) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
      }
      env[variable.name] = value;
    } else if (from.secretKeyRef) {
      const { name, key, optional } = from.secretKeyRef;
      const found = await secret(name);
      if (!found) {
        if (optional === true) continue;
        throw new ContainerConfigError(notFoundMessage('secret', name));
      }
      const value = secretBytes(found, key);
      if (value === undefined) {
        if (optional === true) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
      }
      // kubelet drops NUL bytes, which an environment cannot hold.
      env[variable.name] = value.toString('utf8').replaceAll('\0', '');
    } else if (from.fieldRef) {
      env[variable.name] = podFieldValue(pod, from.fieldRef.fieldPath, context);
    } else if (from.resourceFieldRef) {
      env[variable.name] = resourceFieldValue(pod, container.name, from.resourceFieldRef, context.allocatable);
    }
  }
  for (const [name, value] of Object.entries(context.serviceEnv)) if (!Object.hasOwn(env, name)) env[name] = value;
  return { env, invalidNames };
}

/** command and args with $(VAR) expanded over the container's environment (not the image's), as kubelet does. */
export function expandArgs(container: Container, env: Readonly<Record<string, string>>): Pick<Container, 'command' | 'args'> {
  const lookup = lookupIn(env);
  return {
    ...(container.command ? { command: container.command.map((arg) => expand(arg, lookup)) } : {}),
    ...(container.args ? { args: container.args.map((arg) => expand(arg, lookup)) } : {}),
  };
}
