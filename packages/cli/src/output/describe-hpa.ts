// What `ctl describe hpa` adds after the metadata, spec and status every
// object shows, as kubectl words it: the reference, each metric's current and
// target value, the replica bounds and counts, and the conditions.
import type { HorizontalPodAutoscaler } from '@skiff/api';
import { renderTable } from './table.js';

/** Labels and values aligned as kubectl's tabwriter does: the longest label, its colon, two spaces. */
function aligned(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 3;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

export function hpaSummary(hpa: HorizontalPodAutoscaler): string[] {
  const { spec } = hpa;
  const status = hpa.status;
  const target = spec.scaleTargetRef;
  const rows: [string, string][] = [['Reference', `${target.kind}/${target.name}`], ['Metrics', '( current / target )']];
  spec.metrics.forEach((metric, i) => {
    const { name, target: goal } = metric.resource;
    const current = status?.currentMetrics?.[i]?.resource.name === name ? status.currentMetrics[i]?.resource.current : undefined;
    if (goal.type === 'Utilization') {
      const now = current?.averageUtilization === undefined ? '<unknown>' : `${current.averageUtilization}% (${current.averageValue ?? '<unknown>'})`;
      rows.push([`  resource ${name} on pods  (as a percentage of request)`, `${now} / ${goal.averageUtilization ?? '<auto>'}%`]);
    } else {
      rows.push([`  resource ${name} on pods`, `${current?.averageValue ?? '<unknown>'} / ${goal.averageValue ?? '<unknown>'}`]);
    }
  });
  rows.push(['Min replicas', String(spec.minReplicas ?? 1)], ['Max replicas', String(spec.maxReplicas)]);
  rows.push([`${target.kind} pods`, `${status?.currentReplicas ?? 0} current / ${status?.desiredReplicas ?? 0} desired`]);
  const lines = aligned(rows);
  const conditions = status?.conditions ?? [];
  if (conditions.length > 0) {
    lines.push(`Conditions:\n${indent(renderTable(['Type', 'Status', 'Reason', 'Message'], conditions.map((c) => [c.type, c.status, c.reason, c.message])).trimEnd())}`);
  }
  return lines;
}
