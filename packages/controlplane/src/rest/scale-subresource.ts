// `deployments/scale` and `replicasets/scale`: the object's replicas as an
// autoscaling/v1 Scale (what `kubectl scale` reads and patches), written
// through ApiService.scale as ctl scale does.
import { applyPatch, InvalidError, isRecord, labelSelectorText, type Deployment, type ResourceObject } from '@skiff/api';
import type { ApiService } from '../api/api-service.js';
import type { ResourceRequest } from './request-info.js';

export interface ScaleCall {
  readonly request: ResourceRequest;
  readonly verb: 'get' | 'update' | 'patch';
  readonly contentType: string;
  readonly body: unknown;
}

function scaleOf(object: ResourceObject): Record<string, unknown> {
  const workload = object as unknown as Deployment;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = workload.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: workload.spec.replicas ?? 1 },
    status: { replicas: workload.status?.replicas ?? 0, selector: labelSelectorText(workload.spec.selector) },
  };
}

function replicasOf(scale: unknown): number {
  const spec = isRecord(scale) && isRecord(scale['spec']) ? scale['spec'] : undefined;
  const replicas = spec?.['replicas'];
  if (typeof replicas !== 'number') throw new InvalidError('spec.replicas: required, a whole number (a Scale of autoscaling/v1)');
  return replicas;
}

export async function handleScale(api: ApiService, call: ScaleCall): Promise<Record<string, unknown>> {
  const ref = { kind: call.request.info.kind, name: call.request.name ?? '', ...(call.request.namespace !== undefined ? { namespace: call.request.namespace } : {}) };
  if (call.verb === 'get') return scaleOf(await api.get(ref));
  const replicas =
    call.verb === 'update'
      ? replicasOf(call.body)
      : // A Scale is no Skiff kind: a strategic merge patch of it replaces lists (it has none).
        replicasOf(applyPatch(call.contentType, scaleOf(await api.get(ref)), call.body, undefined));
  return scaleOf(await api.scale(ref, replicas));
}
