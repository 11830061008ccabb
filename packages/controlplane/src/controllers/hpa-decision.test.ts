// One HPA sync's decision (Kubernetes' reconcileAutoscaler) as a pure
// function: the new size and its reason, the conditions as Kubernetes words
// them, the metrics status, the events, and the history it leaves.
import { describe, expect, it } from 'vitest';
import { defaultScaleDownRules, defaultScaleUpRules, METRICS_API_VERSION, type HorizontalPodAutoscaler, type MetricSpec, type Pod, type PodMetrics } from '@skiff/api';
import { EMPTY_HISTORY } from './hpa-behavior.js';
import { afterFailedRescale, afterRescale, decide, formatMilli, unchangedStatus, type DecisionInput } from './hpa-decision.js';

const NOW = Date.parse('2026-12-02T03:00:00Z');
const NOW_TEXT = '2026-12-02T03:00:00Z';
const CPU60: MetricSpec = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } };

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}, status?: HorizontalPodAutoscaler['status']): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', uid: 'h1', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [CPU60],
      behavior: { scaleUp: defaultScaleUpRules(), scaleDown: defaultScaleDownRules() },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function pod(name: string, requests: Record<string, string> = { cpu: '100m', memory: '64Mi' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
    status: {
      phase: 'Running',
      startTime: new Date(NOW - 600_000).toISOString(),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(NOW - 590_000).toISOString() }],
    },
  };
}

function sample(name: string, cpu: string, memory = '32Mi'): PodMetrics {
  return { apiVersion: METRICS_API_VERSION, kind: 'PodMetrics', metadata: { name, namespace: 'default' }, timestamp: NOW_TEXT, window: '10s', containers: [{ name: 'c', usage: { cpu, memory } }] };
}

function input(currentReplicas: number, cpus: string[], object = hpa(), requests?: Record<string, string>): DecisionInput {
  const pods = cpus.map((_, i) => pod(`p${i}`, requests));
  return {
    hpa: object,
    currentReplicas,
    pods,
    samples: cpus.map((cpu, i) => sample(`p${i}`, cpu)),
    history: EMPTY_HISTORY,
    nowMs: NOW,
    options: { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000 },
  };
}

const conditionsOf = (decision: ReturnType<typeof decide>): string[] => decision.conditions.map((c) => `${c.type} ${c.status} ${c.reason}: ${c.message}`);

describe('decide', () => {
  it('scales up to hold the target, naming the metric, with the conditions Kubernetes sets', () => {
    // 90 % against 60 %: ceil(2 × 1.5) = 3.
    const decision = decide(input(2, ['90m', '90m']));
    expect(decision.rescale).toEqual({ replicas: 3, reason: 'cpu resource utilization (percentage of request) above target' });
    expect(decision.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '90m' } } }]);
    expect(conditionsOf(decision)).toEqual([
      'AbleToScale True ReadyForNewScale: recommended size matches current size',
      'ScalingActive True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
      'ScalingLimited False DesiredWithinRange: the desired count is within the acceptable range',
    ]);
    expect(decision.conditions.every((c) => c.lastTransitionTime === NOW_TEXT)).toBe(true);
    expect(decision.events).toEqual([]);
  });

  it('records the rescale: status, the SuccessfulRescale event, the scale-up event in the history', () => {
    const given = input(2, ['90m', '90m']);
    const decision = decide(given);
    const done = afterRescale(given, decision);
    expect(done.status).toEqual({
      observedGeneration: 1,
      lastScaleTime: NOW_TEXT,
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: decision.metrics,
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 3' })]),
    });
    expect(done.events).toEqual([{ type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 3; reason: cpu resource utilization (percentage of request) above target' }]);
    expect(done.history.scaleUpEvents).toEqual([{ change: 1, atMs: NOW }]);
    expect(done.history.recommendations).toEqual([{ replicas: 2, atMs: NOW }, { replicas: 3, atMs: NOW }]);
  });

  it('holds a scale-down within the 300 s window of the first recommendation (the count when first seen)', () => {
    const given = input(4, ['10m', '10m', '10m', '10m']);
    const decision = decide(given);
    expect(decision.rescale).toBeUndefined();
    expect(conditionsOf(decision)[0]).toBe(
      'AbleToScale True ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation',
    );
    expect(unchangedStatus(given, decision)).toMatchObject({ currentReplicas: 4, desiredReplicas: 4 });
    // 301 s later the window has let the initial recommendation go: 10 % against 60 % is ceil(4 × 0.1666) = 1.
    const later = decide({ ...given, history: decision.history, nowMs: NOW + 301_000 });
    expect(later.rescale).toEqual({ replicas: 1, reason: 'All metrics below target' });
  });

  it('clamps to maxReplicas with ScalingLimited True TooManyReplicas', () => {
    const decision = decide(input(4, ['600m', '600m', '600m', '600m'], hpa({ maxReplicas: 6 })));
    expect(decision.rescale?.replicas).toBe(6);
    expect(conditionsOf(decision)[2]).toBe('ScalingLimited True TooManyReplicas: the desired replica count is more than the maximum replica count');
  });

  it('clamps to minReplicas with ScalingLimited True TooFewReplicas once the window allows', () => {
    const given = input(4, ['1m', '1m', '1m', '1m'], hpa({ minReplicas: 2 }));
    const first = decide(given);
    const decision = decide({ ...given, history: first.history, nowMs: NOW + 301_000 });
    expect(decision.rescale?.replicas).toBe(2);
    expect(conditionsOf(decision)[2]).toBe('ScalingLimited True TooFewReplicas: the desired replica count is less than the minimum replica count');
  });

  it('brings a count outside minReplicas..maxReplicas back at once, saying why', () => {
    expect(decide(input(12, ['60m'])).rescale).toEqual({ replicas: 10, reason: 'Current number of replicas above Spec.MaxReplicas' });
    expect(decide(input(1, ['60m'], hpa({ minReplicas: 3 }))).rescale).toEqual({ replicas: 3, reason: 'Current number of replicas below Spec.MinReplicas' });
  });

  it('does not scale a target scaled to zero (ScalingActive False ScalingDisabled)', () => {
    const decision = decide(input(0, []));
    expect(decision.rescale).toBeUndefined();
    expect(conditionsOf(decision)[1]).toBe('ScalingActive False ScalingDisabled: scaling is disabled since the replica count of the target is zero');
  });

  it('takes the largest proposal of several metrics', () => {
    const memory: MetricSpec = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '16Mi' } } };
    // cpu: 60 % on 60 % holds at 2; memory: 32Mi against 16Mi is ceil(2 × 2) = 4.
    const decision = decide(input(2, ['60m', '60m'], hpa({ metrics: [CPU60, memory] })));
    expect(decision.rescale).toEqual({ replicas: 4, reason: 'memory resource above target' });
    expect(decision.metrics[1]).toEqual({ type: 'Resource', resource: { name: 'memory', current: { averageValue: '32Mi' } } });
  });

  it('without samples: ScalingActive False FailedGetResourceMetric, the warnings once, desired kept', () => {
    const given = { ...input(2, ['50m', '50m']), samples: [] };
    const decision = decide(given);
    expect(decision.rescale).toBeUndefined();
    expect(decision.error).toBe(
      'invalid metrics (1 invalid out of 1), first error is: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    expect(conditionsOf(decision)[1]).toBe(
      'ScalingActive False FailedGetResourceMetric: the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    expect(decision.events.map((e) => e.reason)).toEqual(['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
    expect(decision.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: {} } }]);
    const status = unchangedStatus(given, decision);
    expect(status).toMatchObject({ currentReplicas: 2, desiredReplicas: 2 });
    // The next sync, failing the same way, records nothing new.
    const again = decide({ ...given, hpa: hpa({}, status), history: decision.history });
    expect(again.events).toEqual([]);
  });

  it('reports a pod without a cpu request as Kubernetes does', () => {
    const given = input(1, ['50m']);
    const bare = { ...given.pods[0]!, spec: { ...given.pods[0]!.spec, containers: [{ name: 'c', image: 'busybox' }] } };
    const decision = decide({ ...given, pods: [bare] });
    expect(conditionsOf(decision)[1]).toBe('ScalingActive False FailedGetResourceMetric: the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container c of Pod p0');
  });

  it('scales on the valid metrics when the failing ones would not lower the count; fails when they would', () => {
    const broken: MetricSpec = { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 50 } } };
    const up = input(2, ['120m', '120m'], hpa({ metrics: [broken, CPU60] }), { cpu: '100m' });
    expect(decide(up).rescale?.replicas).toBe(4);
    expect(decide(up).conditions.find((c) => c.type === 'ScalingActive')?.status).toBe('True');
    const down = input(2, ['10m', '10m'], hpa({ metrics: [broken, CPU60] }), { cpu: '100m' });
    expect(decide(down).error).toMatch(/^invalid metrics \(1 invalid out of 2\), first error is: failed to get memory utilization: missing request for memory/);
  });

  it('on a failed scale write: AbleToScale False FailedUpdateScale, the FailedRescale event, desired kept', () => {
    const given = input(2, ['90m', '90m']);
    const failed = afterFailedRescale(given, decide(given), 'etcd is away');
    expect(failed.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 2 });
    expect(failed.status.conditions?.[0]).toMatchObject({ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: 'the HPA controller was unable to update the target scale: etcd is away' });
    expect(failed.events).toEqual([{ type: 'Warning', reason: 'FailedRescale', message: 'New size: 3; reason: cpu resource utilization (percentage of request) above target; error: etcd is away' }]);
  });

  it('keeps a condition\'s lastTransitionTime while its status holds', () => {
    const earlier = '2026-12-02T02:00:00Z';
    const status = { currentReplicas: 2, desiredReplicas: 2, conditions: [{ type: 'ScalingActive' as const, status: 'True' as const, reason: 'ValidMetricFound', message: 'old', lastTransitionTime: earlier }] };
    const decision = decide(input(2, ['60m', '60m'], hpa({}, status)));
    expect(decision.conditions.find((c) => c.type === 'ScalingActive')?.lastTransitionTime).toBe(earlier);
  });
});

describe('an HPA stored without the defaults validation writes', () => {
  it('is read with them: 80 % cpu, minReplicas 1, the default behavior', () => {
    const bare = hpa({ metrics: [], minReplicas: undefined as unknown as number, behavior: undefined as unknown as HorizontalPodAutoscaler['spec']['behavior'] });
    // 90 % against 80 %: within the tolerance? |1 - 1.125| > 0.1, so ceil(2 × 1.125) = 3.
    const decision = decide(input(2, ['90m', '90m'], bare));
    expect(decision.rescale?.replicas).toBe(3);
    expect(decide(input(4, ['1m', '1m', '1m', '1m'], bare)).rescale).toBeUndefined();
  });
});

describe('formatMilli', () => {
  it('writes cpu in cores and memory in bytes', () => {
    expect([formatMilli('cpu', 250), formatMilli('cpu', 2000), formatMilli('memory', 64 * 1024 * 1024 * 1000), formatMilli('memory', 1500)]).toEqual(['250m', '2', '64Mi', '1500m']);
  });
});
