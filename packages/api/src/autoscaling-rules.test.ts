// HorizontalPodAutoscaler manifests through validateManifest: Kubernetes'
// defaults, and bad specs rejected with the field path that is wrong.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { HorizontalPodAutoscaler } from './autoscaling-types.js';
import { validateManifest } from './validate.js';

function hpa(spec: string): unknown {
  return parse(`apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n${spec}`) as unknown;
}

const TARGET = '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n';

function errors(spec: string): string[] {
  return validateManifest(hpa(spec)).errors.map((e) => `${e.path}: ${e.message}`);
}

describe('HorizontalPodAutoscaler validation', () => {
  it('is served at autoscaling/v2 as horizontalpodautoscalers, short name hpa', () => {
    const result = validateManifest(hpa(`${TARGET}  maxReplicas: 5\n`));
    expect(result.errors).toEqual([]);
    expect([result.kind?.plural, result.kind?.shortNames, result.kind?.apiVersion]).toEqual(['horizontalpodautoscalers', ['hpa'], 'autoscaling/v2']);
    expect(validateManifest({ ...(hpa(`${TARGET}  maxReplicas: 5\n`) as object), apiVersion: 'autoscaling/v1' }).errors).toEqual([
      { path: 'apiVersion', message: 'HorizontalPodAutoscaler is served at autoscaling/v2, not "autoscaling/v1"' },
    ]);
  });

  it('defaults as Kubernetes: minReplicas 1, 80 % CPU, and the default scale-up and scale-down behavior', () => {
    const object = validateManifest(hpa(`${TARGET}  maxReplicas: 5\n`)).object as HorizontalPodAutoscaler;
    expect(object.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Pods', value: 4, periodSeconds: 15 },
            { type: 'Percent', value: 100, periodSeconds: 15 },
          ],
        },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
    });
  });

  it('keeps what a behavior names and fills in the rest; an AverageValue number becomes a quantity string', () => {
    const object = validateManifest(
      hpa(
        `${TARGET}  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {name: memory, target: {type: AverageValue, averageValue: 1000000}}\n` +
          '  behavior:\n    scaleDown: {stabilizationWindowSeconds: 60}\n    scaleUp: {policies: [{type: Pods, value: 1, periodSeconds: 60}]}\n',
      ),
    ).object as HorizontalPodAutoscaler;
    expect(object.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1000000' } } }]);
    expect(object.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(object.spec.behavior.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
  });

  it.each<[string, string, string]>([
    ['no scaleTargetRef', '  maxReplicas: 3\n', 'spec.scaleTargetRef: is required'],
    ['no maxReplicas', TARGET, 'spec.maxReplicas: is required'],
    ['minReplicas 0', `${TARGET}  minReplicas: 0\n  maxReplicas: 3\n`, 'spec.minReplicas: must be >= 1'],
    ['maxReplicas 0', `${TARGET}  maxReplicas: 0\n`, 'spec.maxReplicas: must be >= 1'],
    ['minReplicas above maxReplicas', `${TARGET}  minReplicas: 4\n  maxReplicas: 3\n`, 'spec.minReplicas: must be less than or equal to maxReplicas (3), not 4'],
    [
      'a target kind without a scale subresource',
      '  scaleTargetRef: {kind: Pod, name: web}\n  maxReplicas: 3\n',
      'spec.scaleTargetRef.kind: must be Deployment or ReplicaSet (the kinds with a scale subresource in Skiff)',
    ],
    [
      'a target in another API group',
      '  scaleTargetRef: {apiVersion: apps/v2, kind: Deployment, name: web}\n  maxReplicas: 3\n',
      'spec.scaleTargetRef.apiVersion: must be apps/v1 (where Deployments and ReplicaSets are served), not "apps/v2"',
    ],
    ['a target name that is no object name', '  scaleTargetRef: {kind: Deployment, name: Web_1}\n  maxReplicas: 3\n', 'spec.scaleTargetRef.name'],
    [
      'a Pods metric',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - type: Pods\n`,
      'spec.metrics[0].type: must be Resource: Skiff autoscales on cpu and memory only (Pods, Object, External and ContainerResource metrics are not supported)',
    ],
    [
      'an External metric after a good one',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}\n  - type: External\n`,
      'spec.metrics[1].type: must be Resource',
    ],
    ['a Resource metric without resource', `${TARGET}  maxReplicas: 3\n  metrics:\n  - type: Resource\n`, 'spec.metrics[0].resource: is required when type is Resource'],
    [
      'a resource Skiff does not measure',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: ephemeral-storage, target: {type: Utilization, averageUtilization: 50}}}\n`,
      'spec.metrics[0].resource.name: must be cpu or memory',
    ],
    [
      'a Value target (not for Resource metrics)',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Value}}}\n`,
      'spec.metrics[0].resource.target.type: must be Utilization (averageUtilization, percent of requests) or AverageValue',
    ],
    [
      'Utilization without averageUtilization',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Utilization}}}\n`,
      'spec.metrics[0].resource.target.averageUtilization: is required when type is Utilization',
    ],
    [
      'Utilization with an averageValue',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50, averageValue: 100m}}}\n`,
      'spec.metrics[0].resource.target.averageValue: may not be set when type is Utilization',
    ],
    [
      'a zero averageUtilization',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}}\n`,
      'spec.metrics[0].resource.target.averageUtilization: must be >= 1',
    ],
    [
      'AverageValue without averageValue',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: memory, target: {type: AverageValue}}}\n`,
      'spec.metrics[0].resource.target.averageValue: is required when type is AverageValue',
    ],
    [
      'an averageValue that is no quantity',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: lots}}}\n`,
      'spec.metrics[0].resource.target.averageValue: must be a quantity like 250m or 128Mi',
    ],
    [
      'a numeric averageValue that is no quantity once written out',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 1e300}}}\n`,
      'spec.metrics[0].resource.target.averageValue: must be a quantity like 250m or 128Mi',
    ],
    [
      'a zero averageValue',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: "0"}}}\n`,
      'spec.metrics[0].resource.target.averageValue: must be positive',
    ],
    [
      'two metrics for cpu',
      `${TARGET}  maxReplicas: 3\n  metrics:\n  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}\n  - {type: Resource, resource: {name: cpu, target: {type: AverageValue, averageValue: 100m}}}\n`,
      'spec.metrics[1].resource.name: duplicate metric for cpu',
    ],
    ['an empty policy list', `${TARGET}  maxReplicas: 3\n  behavior: {scaleUp: {policies: []}}\n`, 'spec.behavior.scaleUp.policies: must not be empty'],
    [
      'a policy period above 30 minutes',
      `${TARGET}  maxReplicas: 3\n  behavior: {scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 1801}]}}\n`,
      'spec.behavior.scaleDown.policies[0].periodSeconds: must be <= 1800',
    ],
    ['a stabilization window above an hour', `${TARGET}  maxReplicas: 3\n  behavior: {scaleDown: {stabilizationWindowSeconds: 3601}}\n`, 'spec.behavior.scaleDown.stabilizationWindowSeconds: must be <= 3600'],
    ['an unknown selectPolicy', `${TARGET}  maxReplicas: 3\n  behavior: {scaleUp: {selectPolicy: Most}}\n`, 'spec.behavior.scaleUp.selectPolicy: must be one of Max, Min, Disabled'],
  ])('rejects %s', (_name, spec, expected) => {
    const result = validateManifest(hpa(spec));
    expect(result.object).toBeUndefined();
    expect(errors(spec).some((line) => line.startsWith(expected)), errors(spec).join('\n')).toBe(true);
  });
});
