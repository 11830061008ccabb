// `ctl describe` of Deployments and ReplicaSets, laid out as kubectl does:
// the replica counts on one line, the strategy, the pod template, the
// conditions, and which ReplicaSets (or pods) are behind it.
import { selectorFromLabelSelector, revisionOf, type Deployment, type Event, type LabelSelector, type Pod, type ReplicaSet, type ResourceObject } from '@skiff/api';
import { stringify } from 'yaml';
import { eventsSection, pairs } from './describe-object.js';
import { renderTable } from './table.js';

function field(label: string, value: string, width = 24): string {
  return `${`${label}:`.padEnd(width)}${value}`;
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
}

function selectorText(selector: LabelSelector): string {
  const text = selectorFromLabelSelector(selector).toString();
  return text === '' ? '<none>' : text;
}

function header(object: ResourceObject, width: number): string[] {
  const { metadata } = object;
  const lines = [
    field('Name', metadata.name, width),
    field('Namespace', metadata.namespace ?? 'default', width),
    field('CreationTimestamp', metadata.creationTimestamp ?? '<unknown>', width),
    field('Labels', pairs(metadata.labels).replaceAll('\n'.padEnd(20), `\n${' '.repeat(width)}`), width),
    field('Annotations', pairs(metadata.annotations).replaceAll('\n'.padEnd(20), `\n${' '.repeat(width)}`), width),
  ];
  const controller = metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (controller) lines.push(field('Controlled By', `${controller.kind}/${controller.name}`, width));
  return lines;
}

function podTemplate(template: Deployment['spec']['template']): string {
  return `Pod Template:\n${indent(stringify(template).trimEnd())}`;
}

export function describeDeployment(deployment: Deployment, replicaSets: readonly ReplicaSet[], events: readonly Event[], now: Date): string {
  const { spec } = deployment;
  const status = deployment.status ?? {};
  const lines = [
    ...header(deployment, 24),
    field('Selector', selectorText(spec.selector)),
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
  if (spec.paused === true) lines.push(field('Paused', 'true'));
  lines.push(podTemplate(spec.template));
  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    lines.push(`Conditions:\n${indent(renderTable(['Type', 'Status', 'Reason'], conditions.map((c) => [c.type, c.status, c.reason ?? ''])).trimEnd())}`);
  }
  const newest = replicaSets.find((rs) => revisionOf(rs) === revisionOf(deployment)) ?? undefined;
  const created = (rs: ReplicaSet): string => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec.replicas} replicas created)`;
  const olds = replicaSets.filter((rs) => rs !== newest && (rs.spec.replicas > 0 || (rs.status?.replicas ?? 0) > 0));
  lines.push(field('OldReplicaSets', olds.length === 0 ? '<none>' : olds.map(created).join(', '), 16));
  lines.push(field('NewReplicaSet', newest ? created(newest) : '<none>', 16));
  lines.push(eventsSection(events, now));
  return `${lines.join('\n')}\n`;
}

export function describeReplicaSet(rs: ReplicaSet, pods: readonly Pod[], events: readonly Event[], now: Date): string {
  const phases = (phase: string): number => pods.filter((pod) => (pod.status?.phase ?? 'Pending') === phase).length;
  const lines = [
    ...header(rs, 14),
    field('Selector', selectorText(rs.spec.selector), 14),
    field('Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec.replicas} desired`, 14),
    field('Pods Status', `${phases('Running')} Running / ${phases('Pending')} Waiting / ${phases('Succeeded')} Succeeded / ${phases('Failed')} Failed`, 14),
    podTemplate(rs.spec.template),
    eventsSection(events, now),
  ];
  return `${lines.join('\n')}\n`;
}
