// kubectl's TARGETS column of HorizontalPodAutoscalers (printers.go
// formatHPAMetrics): "cpu: 45%/60%" per metric, "<unknown>" for the current
// value until the controller has measured it, at most two metrics then
// "+ N more...".
import type { HorizontalPodAutoscaler } from '../core.js';

const SHOWN = 2;

export function hpaTargets(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const statuses = hpa.status?.currentMetrics ?? [];
  const texts = specs.map((spec, i) => {
    const { name, target } = spec.resource;
    const current = statuses[i]?.resource?.name === name ? statuses[i]?.resource.current : undefined;
    if (target.type === 'AverageValue') return `${name}: ${current?.averageValue ?? '<unknown>'}/${target.averageValue ?? '<unknown>'}`;
    const now = current?.averageUtilization === undefined ? '<unknown>' : `${current.averageUtilization}%`;
    const goal = target.averageUtilization === undefined ? '<auto>' : `${target.averageUtilization}%`;
    return `${name}: ${now}/${goal}`;
  });
  const shown = texts.slice(0, SHOWN).join(', ');
  return texts.length > SHOWN ? `${shown} + ${texts.length - SHOWN} more...` : shown;
}
