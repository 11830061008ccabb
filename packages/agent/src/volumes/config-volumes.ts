// The files of configMap, secret, downwardAPI and projected volumes, as
// kubelet builds their payloads (MakePayload and friends): every key of the
// object or just its items (key → path, with a mode), defaultMode 0644,
// optional objects that do not exist giving an empty volume, a missing key
// that is not optional refusing the mount with kubelet's message. The atomic
// writer then puts the payload on disk.
import type { ConfigMap, KeyToPath, Pod, Secret, Volume, VolumeProjection, DownwardAPIVolumeFile } from '@skiff/api/core';
import { notFoundMessage, secretBytes, type ConfigSources } from '../env/config-sources.js';
import { podFieldValue, resourceFieldValue, type NodeAllocatable, type PodAddresses } from '../env/downward-values.js';
import type { FileProjection, Payload } from './atomic-writer.js';

export const DEFAULT_MODE = 0o644;

export interface ProjectionContext extends PodAddresses {
  readonly sources: ConfigSources;
  readonly allocatable: NodeAllocatable;
  /** A bound token for the pod's ServiceAccount (projected serviceAccountToken sources). */
  readonly serviceAccountToken?: (pod: Pod, expirationSeconds: number, audience?: string) => Promise<string>;
}

/** A volume could not be set up (kubelet's FailedMount): the pod's containers wait in ContainerCreating. */
export class VolumeSetupError extends Error {
  readonly reason = 'ContainerCreating';
}

/** The payload of a volume the atomic writer keeps (configMap, secret, downwardAPI, projected), or undefined for other kinds. */
export async function volumePayload(pod: Pod, volume: Volume, context: ProjectionContext): Promise<Payload | undefined> {
  const namespace = pod.metadata.namespace ?? 'default';
  if (volume.configMap) {
    const { name, items, defaultMode, optional } = volume.configMap;
    const found = await context.sources.configMap(namespace, name);
    return configMapFiles(found, name, items, defaultMode ?? DEFAULT_MODE, optional === true);
  }
  if (volume.secret) {
    const { secretName, items, defaultMode, optional } = volume.secret;
    const found = await context.sources.secret(namespace, secretName);
    return secretFiles(found, secretName, items, defaultMode ?? DEFAULT_MODE, optional === true);
  }
  if (volume.downwardAPI) {
    return downwardFiles(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_MODE, context);
  }
  if (volume.projected) {
    const payload = new Map<string, FileProjection>();
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    for (const source of volume.projected.sources) {
      for (const [path, file] of await projection(pod, source, mode, context)) payload.set(path, file);
    }
    return payload;
  }
  return undefined;
}

async function projection(pod: Pod, source: VolumeProjection, mode: number, context: ProjectionContext): Promise<Payload> {
  const namespace = pod.metadata.namespace ?? 'default';
  if (source.configMap) {
    const { name, items, optional } = source.configMap;
    return configMapFiles(await context.sources.configMap(namespace, name), name, items, mode, optional === true);
  }
  if (source.secret) {
    const { name, items, optional } = source.secret;
    return secretFiles(await context.sources.secret(namespace, name), name, items, mode, optional === true);
  }
  if (source.downwardAPI) return downwardFiles(pod, source.downwardAPI.items ?? [], mode, context);
  if (source.serviceAccountToken) {
    if (!context.serviceAccountToken) throw new VolumeSetupError('serviceAccountToken projection: this agent cannot request tokens');
    const token = await context.serviceAccountToken(pod, source.serviceAccountToken.expirationSeconds ?? 3600, source.serviceAccountToken.audience);
    return new Map([[source.serviceAccountToken.path, { data: Buffer.from(token), mode }]]);
  }
  return new Map();
}

function configMapFiles(found: ConfigMap | undefined, name: string, items: readonly KeyToPath[] | undefined, mode: number, optional: boolean): Payload {
  if (!found) {
    if (optional) return new Map();
    throw new VolumeSetupError(notFoundMessage('configmap', name));
  }
  const value = (key: string): Buffer | undefined => {
    const text = found.data?.[key];
    if (text !== undefined) return Buffer.from(text);
    const binary = found.binaryData?.[key];
    return binary === undefined ? undefined : Buffer.from(binary, 'base64');
  };
  const keys = [...Object.keys(found.data ?? {}), ...Object.keys(found.binaryData ?? {})];
  return keyFiles(keys, value, items, mode, optional, (key) => `configmap references non-existent config key: ${key}`);
}

function secretFiles(found: Secret | undefined, name: string, items: readonly KeyToPath[] | undefined, mode: number, optional: boolean): Payload {
  if (!found) {
    if (optional) return new Map();
    throw new VolumeSetupError(notFoundMessage('secret', name));
  }
  return keyFiles(Object.keys(found.data ?? {}), (key) => secretBytes(found, key), items, mode, optional, (key) => `references non-existent secret key: ${key}`);
}

function keyFiles(
  keys: readonly string[],
  value: (key: string) => Buffer | undefined,
  items: readonly KeyToPath[] | undefined,
  mode: number,
  optional: boolean,
  missing: (key: string) => string,
): Payload {
  const payload = new Map<string, FileProjection>();
  if (!items || items.length === 0) {
    for (const key of keys) payload.set(key, { data: value(key) ?? Buffer.alloc(0), mode });
    return payload;
  }
  for (const item of items) {
    const data = value(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new VolumeSetupError(missing(item.key));
    }
    payload.set(item.path, { data, mode: item.mode ?? mode });
  }
  return payload;
}

function downwardFiles(pod: Pod, items: readonly DownwardAPIVolumeFile[], mode: number, context: ProjectionContext): Payload {
  const payload = new Map<string, FileProjection>();
  for (const item of items) {
    let text: string;
    if (item.fieldRef) text = podFieldValue(pod, item.fieldRef.fieldPath, context);
    else if (item.resourceFieldRef) text = resourceFieldValue(pod, item.resourceFieldRef.containerName ?? '', item.resourceFieldRef, context.allocatable);
    else continue;
    payload.set(item.path, { data: Buffer.from(text), mode: item.mode ?? mode });
  }
  return payload;
}
