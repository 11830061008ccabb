// What ctl and the control plane share about DaemonSets: the label that marks
// a daemon pod's template version, the tolerations Kubernetes' DaemonSet
// controller gives every daemon pod, and kubectl's reading of a rollout.
import {
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
} from './node-taints.js';
import type { RolloutStatus } from './deployments.js';
import type { Toleration } from './types.js';
import type { DaemonSet } from './workload-types.js';

/** Label on every daemon pod: the hash of the template it was made from (Kubernetes' ControllerRevision hash). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/**
 * Kubernetes' util.AddOrUpdateDaemonPodTolerations: daemon pods stay on nodes
 * that are not ready or unreachable (no tolerationSeconds: never evicted),
 * and land on nodes under pressure and on cordoned ones. (Kubernetes adds
 * network-unavailable:NoSchedule for hostNetwork pods; Skiff pods have no
 * hostNetwork, so it never applies.)
 */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
];

/** The pod's tolerations with the daemon ones added where the same key and effect is not tolerated already (as Kubernetes' AddOrUpdateTolerationInPodSpec). */
export function withDaemonPodTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] {
  const result = (tolerations ?? []).map((t) => ({ ...t }));
  for (const daemon of DAEMON_POD_TOLERATIONS) {
    const index = result.findIndex((t) => t.key === daemon.key && t.effect === daemon.effect);
    if (index < 0) result.push({ ...daemon });
    else result[index] = { ...daemon };
  }
  return result;
}

/** kubectl's DaemonSetStatusViewer: the line `rollout status` prints, and whether the rollout is done. */
export function daemonSetRolloutStatus(daemonSet: DaemonSet): RolloutStatus {
  const name = daemonSet.metadata.name;
  if ((daemonSet.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return { message: '', done: true, error: 'rollout status is only available for RollingUpdate strategy type' };
  }
  const status = daemonSet.status;
  if ((daemonSet.metadata.generation ?? 0) > (status?.observedGeneration ?? 0) || !status) {
    return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  }
  const desired = status.desiredNumberScheduled;
  const updated = status.updatedNumberScheduled ?? 0;
  const available = status.numberAvailable ?? 0;
  if (updated < desired) {
    return { message: `Waiting for daemon set ${JSON.stringify(name)} rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false };
  }
  if (available < desired) {
    return { message: `Waiting for daemon set ${JSON.stringify(name)} rollout to finish: ${available} of ${desired} updated pods are available...`, done: false };
  }
  return { message: `daemon set ${JSON.stringify(name)} successfully rolled out`, done: true };
}
