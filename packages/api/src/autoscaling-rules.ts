// The HorizontalPodAutoscaler rules JSON Schema cannot state (minReplicas ≤
// maxReplicas, the value each target type needs) and the defaults that depend
// on other fields, as Kubernetes' defaults.go and validation.go have them.
import { defaultScaleDownRules, defaultScaleUpRules, DEFAULT_CPU_UTILIZATION } from './autoscaling-types.js';
import type { PathSegment } from './field-path.js';
import { arrayAt, isRecord, recordAt, stringAt, type JsonRecord } from './json-guards.js';
import { compareQuantities, parseQuantity } from './quantity.js';

type Report = (segments: readonly PathSegment[], message: string) => void;

const SPEC = ['spec'] as const;

export function checkHorizontalPodAutoscaler(spec: JsonRecord | undefined, report: Report): void {
  if (!spec) return;
  const min = spec['minReplicas'];
  const max = spec['maxReplicas'];
  if (typeof min === 'number' && typeof max === 'number' && Number.isInteger(min) && Number.isInteger(max) && min > max) {
    report([...SPEC, 'minReplicas'], `must be less than or equal to maxReplicas (${max}), not ${min}`);
  }
  const target = recordAt(spec, 'scaleTargetRef');
  const apiVersion = stringAt(target, 'apiVersion');
  if (apiVersion !== undefined && apiVersion !== 'apps/v1') {
    report([...SPEC, 'scaleTargetRef', 'apiVersion'], `must be apps/v1 (where Deployments and ReplicaSets are served), not ${JSON.stringify(apiVersion)}`);
  }
  const seen = new Set<string>();
  arrayAt(spec, 'metrics').forEach((metric, i) => {
    const at = [...SPEC, 'metrics', i];
    if (stringAt(metric, 'type') !== 'Resource') return; // the schema names what is wrong with the type
    const resource = recordAt(metric, 'resource');
    if (!resource) {
      report([...at, 'resource'], 'is required when type is Resource');
      return;
    }
    const name = stringAt(resource, 'name');
    if (name !== undefined) {
      if (seen.has(name)) report([...at, 'resource', 'name'], `duplicate metric for ${name}`);
      seen.add(name);
    }
    checkTarget(recordAt(resource, 'target'), [...at, 'resource', 'target'], report);
  });
}

function checkTarget(target: JsonRecord | undefined, at: readonly PathSegment[], report: Report): void {
  const type = stringAt(target, 'type');
  if (!target || type === undefined) return;
  const utilization = target['averageUtilization'];
  const value = target['averageValue'];
  if (type === 'Utilization') {
    if (utilization === undefined) report([...at, 'averageUtilization'], 'is required when type is Utilization (a percentage of the pods\' requests, e.g. 60)');
    if (value !== undefined) report([...at, 'averageValue'], 'may not be set when type is Utilization');
  } else if (type === 'AverageValue') {
    if (value === undefined) report([...at, 'averageValue'], 'is required when type is AverageValue (a quantity per pod, e.g. 500m or 200Mi)');
    else if (typeof value === 'string' && !parseQuantity(value)) {
      // The schema checks strings only; a YAML number (`averageValue: 1e300`) is checked here, in the string form the defaults gave it.
      report([...at, 'averageValue'], 'must be a quantity like 250m or 128Mi');
    } else if (typeof value === 'string' && compareQuantities(value, 0) <= 0) {
      report([...at, 'averageValue'], 'must be positive');
    }
    if (utilization !== undefined) report([...at, 'averageUtilization'], 'may not be set when type is AverageValue');
  }
}

/**
 * Kubernetes' defaults: a CPU target of 80 % when no metric is given; the
 * scale-up and scale-down rules a behavior leaves out (Kubernetes fills them
 * only when behavior is given and applies the same numbers implicitly
 * otherwise; Skiff writes them down, so `get -o yaml` shows what is in force).
 */
export function defaultHorizontalPodAutoscaler(spec: JsonRecord | undefined): void {
  if (!spec) return;
  const metrics = spec['metrics'];
  if (metrics === undefined || (Array.isArray(metrics) && metrics.length === 0)) {
    spec['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  // types.ts promises a string: `averageValue: 1` in YAML is a number until here.
  for (const metric of arrayAt(spec, 'metrics')) {
    const target = recordAt(recordAt(metric, 'resource'), 'target');
    if (target && typeof target['averageValue'] === 'number') target['averageValue'] = String(target['averageValue']);
  }
  if (spec['behavior'] === undefined) spec['behavior'] = {};
  const behavior = recordAt(spec, 'behavior');
  if (!behavior) return;
  for (const [direction, defaults] of [['scaleUp', defaultScaleUpRules()], ['scaleDown', defaultScaleDownRules()]] as const) {
    if (behavior[direction] === undefined) behavior[direction] = {};
    const rules = behavior[direction];
    if (!isRecord(rules)) continue;
    if (rules['stabilizationWindowSeconds'] === undefined) rules['stabilizationWindowSeconds'] = defaults.stabilizationWindowSeconds;
    if (rules['selectPolicy'] === undefined) rules['selectPolicy'] = defaults.selectPolicy;
    if (rules['policies'] === undefined) rules['policies'] = defaults.policies;
  }
}
