// Agents report pod status here. A report only lands on the pod it was about
// (same uid) and only while that pod is still bound to the reporting node, so
// a partitioned agent that comes back cannot overwrite its successor's truth.
import { isDeepStrictEqual } from 'node:util';
import { FailedPreconditionError, InvalidError, kindInfo, NotFoundError, type Pod, type PodStatus } from '@skiff/api';
import type { ObjectStore } from '../objects/object-store.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { deletePod } from '../objects/pod-deletion.js';

const POD = kindInfo('Pod');

export interface PodStatusReport {
  readonly nodeName: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly statusJson: string;
  /** The pod is being deleted and its containers have stopped: remove it after the status (kubelet's final delete). */
  readonly removeTerminated?: boolean;
}

export async function writePodStatus(objects: ObjectStore, report: PodStatusReport): Promise<Pod> {
  const status = parseStatus(report.statusJson);
  const written = await retryOnConflict(async () => {
    const pod = await objects.mustGet<Pod>(POD, report.namespace, report.name);
    if (pod.metadata.uid !== report.uid) {
      throw new NotFoundError(`pod ${report.namespace}/${report.name} with uid ${report.uid} no longer exists (replaced)`);
    }
    if (pod.spec.nodeName !== report.nodeName) {
      throw new FailedPreconditionError(
        `pod ${report.namespace}/${report.name} is bound to ${pod.spec.nodeName ?? 'no node'}, not ${report.nodeName}`,
      );
    }
    if (report.removeTerminated && pod.metadata.deletionTimestamp === undefined) {
      throw new FailedPreconditionError(`pod ${report.namespace}/${report.name} is not being deleted; only a pod with a deletionTimestamp may be removed by its node`);
    }
    if (isDeepStrictEqual(pod.status, status)) return pod;
    return objects.update(POD, { ...pod, status }, Number(pod.metadata.resourceVersion));
  });
  if (!report.removeTerminated) return written;
  // A delete of grace 0 with the uid precondition: a pod of the same name made since is not touched
  // (and a pod's binding never changes for its uid, checked above).
  const { pod } = await deletePod(objects, report.namespace, report.name, { gracePeriodSeconds: 0, uid: report.uid });
  return pod;
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
