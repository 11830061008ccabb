// A pod's imagePullSecrets as registry credentials: kubernetes.io/dockerconfigjson
// Secrets, whose `.dockerconfigjson` holds `auths.<registry>` with either
// `auth` (base64 of "user:password") or `username` and `password`, as
// `docker login` writes them. The values are secrets: nothing here logs them,
// and errors name the Secret and the field, never a value.
import { InvalidError, isRecord, type Pod, type Secret } from '@skiff/api/core';
import { DOCKER_HUB_REGISTRY } from './image-reference.js';
import type { CredentialsLookup, RegistryCredentials } from './registry-auth.js';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Fetches a Secret (through the control plane, as the node). */
export type SecretGetter = (namespace: string, name: string) => Promise<Secret>;

/**
 * Credentials from every imagePullSecret of `pod`, the first Secret naming a
 * registry winning (as kubelet tries them in order); undefined without any.
 */
export async function pullCredentialsOf(pod: Pod, getSecret: SecretGetter): Promise<CredentialsLookup | undefined> {
  const refs = pod.spec.imagePullSecrets ?? [];
  if (refs.length === 0) return undefined;
  const namespace = pod.metadata.namespace ?? 'default';
  const byRegistry = new Map<string, RegistryCredentials>();
  for (const ref of refs) {
    const secret = await getSecret(namespace, ref.name);
    for (const [registry, credentials] of dockerConfigCredentials(secret)) if (!byRegistry.has(registry)) byRegistry.set(registry, credentials);
  }
  return (registry) => byRegistry.get(registryKey(registry));
}

/** Credentials per registry (normalised with registryKey) from a dockerconfigjson Secret. */
export function dockerConfigCredentials(secret: Secret): Map<string, RegistryCredentials> {
  const name = `${secret.metadata.namespace ?? 'default'}/${secret.metadata.name}`;
  const invalid = (why: string): InvalidError => new InvalidError(`imagePullSecret ${name}: ${why}`);
  if (secret.type !== DOCKER_CONFIG_JSON_TYPE) throw invalid(`its type is ${JSON.stringify(secret.type)}, not ${DOCKER_CONFIG_JSON_TYPE}`);
  const encoded = secret.data?.[DOCKER_CONFIG_JSON_KEY];
  if (encoded === undefined) throw invalid(`it has no ${DOCKER_CONFIG_JSON_KEY} key`);
  let config: unknown;
  try {
    config = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw invalid(`${DOCKER_CONFIG_JSON_KEY} is not JSON`);
  }
  const auths = isRecord(config) ? config['auths'] : undefined;
  if (!isRecord(auths)) throw invalid(`${DOCKER_CONFIG_JSON_KEY} has no "auths" object`);
  const result = new Map<string, RegistryCredentials>();
  for (const [registry, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const credentials = entryCredentials(entry);
    if (!credentials) throw invalid(`auths[${JSON.stringify(registry)}] has neither "auth" (base64 of user:password) nor "username" and "password"`);
    result.set(registryKey(registry), credentials);
  }
  return result;
}

function entryCredentials(entry: Record<string, unknown>): RegistryCredentials | undefined {
  const { auth, username, password } = entry;
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof username === 'string' && username !== '' && typeof password === 'string') return { username, password };
  return undefined;
}

/**
 * A registry as the API host a reference resolves to: no scheme, no path,
 * lower case; Docker Hub's names are one. "https://index.docker.io/v1/" and
 * "docker.io" are both "registry-1.docker.io"; "http://127.0.0.1:5000/v2/" is "127.0.0.1:5000".
 */
export function registryKey(registry: string): string {
  const host = registry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB_NAMES.has(host) ? DOCKER_HUB_REGISTRY : host;
}
