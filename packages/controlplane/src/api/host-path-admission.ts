// hostPath volumes give a pod the node's files, so, like Kubernetes' Pod
// Security "baseline" level, Skiff refuses them unless an administrator
// allows them for the namespace (skiff-controlplane
// --allow-host-path-namespaces ns1,ns2). Checked when a Pod or a pod
// template (a Deployment's) is written: pods a controller makes from an
// admitted template are not checked again.
import { PermissionDeniedError, type KindInfo, type ResourceObject } from '@skiff/api';
import { arrayAt, isRecord, recordAt, stringAt } from '@skiff/api/json-guards';

export type PodAdmission = (info: KindInfo, object: ResourceObject) => void;

export function hostPathAdmission(allowedNamespaces: ReadonlySet<string>): PodAdmission {
  return (info, object) => {
    const spec = podSpecOf(info, object);
    if (!spec) return;
    const namespace = object.metadata.namespace ?? 'default';
    if (allowedNamespaces.has(namespace)) return;
    const names = arrayAt(spec, 'volumes')
      .filter((volume) => isRecord(volume) && volume['hostPath'] !== undefined)
      .map((volume) => stringAt(volume, 'name') ?? '');
    if (names.length === 0) return;
    throw new PermissionDeniedError(
      `${info.plural} ${JSON.stringify(object.metadata.name)} is forbidden: hostPath volumes are not allowed in namespace ${JSON.stringify(namespace)} (${names.length === 1 ? 'volume' : 'volumes'} ${names.map((n) => JSON.stringify(n)).join(', ')}); an administrator allows them with skiff-controlplane --allow-host-path-namespaces ${namespace}`,
    );
  };
}

/** The pod spec a Pod has, or a kind with a pod template holds. */
function podSpecOf(info: KindInfo, object: ResourceObject): unknown {
  const spec: unknown = (object as { spec?: unknown }).spec;
  if (info.kind === 'Pod') return spec;
  const template = recordAt(spec, 'template') ?? recordAt(recordAt(recordAt(spec, 'jobTemplate'), 'spec'), 'template');
  return template ? recordAt(template, 'spec') : undefined;
}
