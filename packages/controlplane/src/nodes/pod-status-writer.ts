// Agents report pod status here. A report only lands on the pod it was about
// (same uid) and only while that pod is still bound to the reporting node, so
// a partitioned agent that comes back cannot overwrite its successor's truth.
import { isDeepStrictEqual } from 'node:util';
import { FailedPreconditionError, InvalidError, kindInfo, NotFoundError, type Pod, type PodStatus } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';

const POD = kindInfo('Pod');

export interface PodStatusReport {
  readonly nodeName: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly statusJson: string;
}

export async function writePodStatus(objects: ObjectStore, report: PodStatusReport): Promise<Pod> {
  const status = parseStatus(report.statusJson);
  return retryOnConflict(async () => {
    const pod = await objects.mustGet<Pod>(POD, report.namespace, report.name);
    if (pod.metadata.uid !== report.uid) {
      throw new NotFoundError(`pod ${report.namespace}/${report.name} with uid ${report.uid} no longer exists (replaced)`);
    }
    if (pod.spec.nodeName !== report.nodeName) {
      throw new FailedPreconditionError(
        `pod ${report.namespace}/${report.name} is bound to ${pod.spec.nodeName ?? 'no node'}, not ${report.nodeName}`,
      );
    }
    if (isDeepStrictEqual(pod.status, status)) return pod;
    return objects.update(POD, { ...pod, status }, Number(pod.metadata.resourceVersion));
  });
}

function parseStatus(json: string): PodStatus {
  let status: unknown;
  try {
    status = JSON.parse(json);
  } catch {
    throw new InvalidError('status_json: not valid JSON');
  }
  const phase = (status as { phase?: unknown } | null)?.phase;
  if (typeof status !== 'object' || status === null || typeof phase !== 'string') {
    throw new InvalidError('status_json: must be a pod status object with a phase');
  }
  return status as PodStatus;
}
