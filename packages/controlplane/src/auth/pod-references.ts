// The ConfigMaps, Secrets and ServiceAccount a pod uses, as Kubernetes' node
// authorizer graph links them: env and envFrom of every container, volumes
// (configMap, secret, projected sources), imagePullSecrets and the pod's
// ServiceAccount. Fields Skiff's PodSpec does not type yet (volumes, envFrom,
// init containers) are read as untrusted JSON.
import type { Pod } from '@skiff/api';
import { arrayAt, isRecord, recordAt, stringAt } from '@skiff/api/json-guards';

export interface PodReferences {
  readonly configMaps: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
  readonly serviceAccounts: ReadonlySet<string>;
}

/** The names (in the pod's namespace) of what the pod references. */
export function podReferences(pod: Pod): PodReferences {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const add = (set: Set<string>, name: string | undefined): void => {
    if (name) set.add(name);
  };
  const spec: unknown = pod.spec;

  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const container of arrayAt(spec, list)) {
      for (const env of arrayAt(container, 'env')) {
        const from = recordAt(env, 'valueFrom');
        add(configMaps, stringAt(recordAt(from, 'configMapKeyRef'), 'name'));
        add(secrets, stringAt(recordAt(from, 'secretKeyRef'), 'name'));
      }
      for (const source of arrayAt(container, 'envFrom')) {
        add(configMaps, stringAt(recordAt(source, 'configMapRef'), 'name'));
        add(secrets, stringAt(recordAt(source, 'secretRef'), 'name'));
      }
    }
  }
  for (const volume of arrayAt(spec, 'volumes')) {
    add(configMaps, stringAt(recordAt(volume, 'configMap'), 'name'));
    add(secrets, stringAt(recordAt(volume, 'secret'), 'secretName'));
    for (const source of arrayAt(recordAt(volume, 'projected'), 'sources')) {
      add(configMaps, stringAt(recordAt(source, 'configMap'), 'name'));
      add(secrets, stringAt(recordAt(source, 'secret'), 'name'));
    }
  }
  for (const ref of arrayAt(spec, 'imagePullSecrets')) add(secrets, stringAt(ref, 'name'));

  // Kubernetes' ServiceAccount admission fills an absent name with "default".
  const account = isRecord(spec) ? spec['serviceAccountName'] : undefined;
  const serviceAccounts = new Set([typeof account === 'string' && account !== '' ? account : 'default']);
  return { configMaps, secrets, serviceAccounts };
}
