// What `ctl describe` adds for Deployments, ReplicaSets and DaemonSets, after the
// metadata, spec and status every object shows, as kubectl words it: the
// replica counts on one line, the strategy, the conditions, and which
// ReplicaSets (or pods) are behind it.
import { revisionOf, type DaemonSet, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';
import { renderTable } from './table.js';

function field(label: string, value: string, width = 24): string {
  return `${`${label}:`.padEnd(width)}${value}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

export function deploymentSummary(deployment: Deployment, replicaSets: readonly ReplicaSet[]): string[] {
  const { spec } = deployment;
  const status = deployment.status ?? {};
  const lines = [
    field(
      'Replicas',
      `${spec.replicas} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable`,
    ),
    field('StrategyType', spec.strategy?.type ?? 'RollingUpdate'),
    field('MinReadySeconds', String(spec.minReadySeconds ?? 0)),
  ];
  const rolling = spec.strategy?.rollingUpdate;
  if ((spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    lines.push(field('RollingUpdateStrategy', `${rolling?.maxUnavailable ?? '25%'} max unavailable, ${rolling?.maxSurge ?? '25%'} max surge`));
  }
  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    lines.push(`Conditions:\n${indent(renderTable(['Type', 'Status', 'Reason'], conditions.map((c) => [c.type, c.status, c.reason ?? ''])).trimEnd())}`);
  }
  const newest = replicaSets.find((rs) => revisionOf(rs) === revisionOf(deployment) && revisionOf(rs) > 0);
  const created = (rs: ReplicaSet): string => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec.replicas} replicas created)`;
  const olds = replicaSets.filter((rs) => rs !== newest && (rs.spec.replicas > 0 || (rs.status?.replicas ?? 0) > 0));
  lines.push(field('OldReplicaSets', olds.length === 0 ? '<none>' : olds.map(created).join(', '), 16));
  lines.push(field('NewReplicaSet', newest ? created(newest) : '<none>', 16));
  return lines;
}

function podsStatus(pods: readonly Pod[]): string {
  const phases = (phase: string): number => pods.filter((pod) => (pod.status?.phase ?? 'Pending') === phase).length;
  return `${phases('Running')} Running / ${phases('Pending')} Waiting / ${phases('Succeeded')} Succeeded / ${phases('Failed')} Failed`;
}

export function replicaSetSummary(rs: ReplicaSet, pods: readonly Pod[]): string[] {
  return [
    field('Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec.replicas} desired`, 14),
    field('Pods Status', podsStatus(pods), 14),
  ];
}

/** kubectl's DaemonSet lines: the node counts, then its pods by phase. */
export function daemonSetSummary(ds: DaemonSet, pods: readonly Pod[]): string[] {
  const status = ds.status;
  const nodeSelector = Object.entries(ds.spec.template.spec.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(',');
  const strategy = ds.spec.updateStrategy?.type ?? 'RollingUpdate';
  const lines = [
    field('Node-Selector', nodeSelector || '<none>', 16),
    `Desired Number of Nodes Scheduled: ${status?.desiredNumberScheduled ?? 0}`,
    `Current Number of Nodes Scheduled: ${status?.currentNumberScheduled ?? 0}`,
    `Number of Nodes Scheduled with Up-to-date Pods: ${status?.updatedNumberScheduled ?? 0}`,
    `Number of Nodes Scheduled with Available Pods: ${status?.numberAvailable ?? 0}`,
    `Number of Nodes Misscheduled: ${status?.numberMisscheduled ?? 0}`,
    field('Pods Status', podsStatus(pods), 14),
    field('StrategyType', strategy),
  ];
  if (strategy === 'RollingUpdate') lines.push(field('RollingUpdateStrategy', `${ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1} max unavailable, ${ds.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0} max surge`));
  return lines;
}
