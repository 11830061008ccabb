// Where the agent reads the ConfigMaps and Secrets its pods reference
// (referenced-objects.ts keeps them fresh). Undefined: the object does not
// exist; a throw: it could not be read (the control plane is away).
import type { ConfigMap, Secret } from '@skiff/api/core';

export interface ConfigSources {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** kubelet's words for an object that is not there. */
export function notFoundMessage(kind: 'configmap' | 'secret', name: string): string {
  return `${kind} ${JSON.stringify(name)} not found`;
}

/** A Secret's value as bytes (its data is base64). */
export function secretBytes(secret: Secret, key: string): Buffer | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64');
}
