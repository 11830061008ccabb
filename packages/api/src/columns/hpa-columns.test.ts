import { describe, expect, it } from 'vitest';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '../core.js';
import { hpaTargets } from './hpa-columns.js';

const cpu = (percent: number): MetricSpec => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } } });
const memory = (value: string): MetricSpec => ({ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: value } } });

function hpa(metrics: MetricSpec[], currentMetrics?: MetricStatus[]): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3, metrics, behavior: {} as HorizontalPodAutoscaler['spec']['behavior'] },
    ...(currentMetrics ? { status: { currentReplicas: 1, desiredReplicas: 1, currentMetrics } } : {}),
  };
}

describe('hpaTargets (kubectl get hpa TARGETS)', () => {
  it('writes current/target per metric, <unknown> before a measurement', () => {
    expect(hpaTargets(hpa([cpu(60)]))).toBe('cpu: <unknown>/60%');
    expect(hpaTargets(hpa([cpu(60), memory('100Mi')], [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45, averageValue: '45m' } } },
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '32Mi' } } },
    ]))).toBe('cpu: 45%/60%, memory: 32Mi/100Mi');
  });

  it('shows two metrics and counts the rest, and <none> without any', () => {
    expect(hpaTargets(hpa([cpu(60), memory('1Gi'), cpu(70)]))).toBe('cpu: <unknown>/60%, memory: <unknown>/1Gi + 1 more...');
    expect(hpaTargets(hpa([]))).toBe('<none>');
  });
});
