// Kubernetes' replica calculator semantics (replica_calculator.go), case by
// case with exact numbers: utilization against requests, the tolerance,
// missing-sample pods (0 on a scale-up, 100 % or the target on a scale-down),
// unready pods and the CPU initialization period, AverageValue targets, and
// the errors Kubernetes words.
import { describe, expect, it } from 'vitest';
import { METRICS_API_VERSION, type Pod, type PodMetrics } from '@skiff/api';
import {
  groupPods,
  MissingRequestError,
  podMetricValues,
  podRequests,
  resourceReplicas,
  resourceUtilizationRatio,
  selectedPods,
  type GroupOptions,
  type ResourceReplicasInput,
} from './hpa-replica-calculator.js';

const NOW = Date.parse('2026-12-02T03:00:00Z');
const MINUTE = 60_000;
const at = (ms: number): string => new Date(ms).toISOString();
const GROUP: GroupOptions = { nowMs: NOW, cpuInitializationPeriodMs: 5 * MINUTE, initialReadinessDelayMs: 30_000 };

interface PodOptions {
  /** Per container; null: no request. */
  cpu?: (string | null)[];
  memory?: string;
  phase?: NonNullable<Pod['status']>['phase'];
  ready?: boolean;
  startedAgo?: number;
  /** When the Ready condition last changed (default: 30 s after the start). */
  transitionAgo?: number;
  deleting?: boolean;
  labels?: Record<string, string>;
}

function pod(name: string, options: PodOptions = {}): Pod {
  const started = NOW - (options.startedAgo ?? 10 * MINUTE);
  const transition = options.transitionAgo === undefined ? started + 30_000 : NOW - options.transitionAgo;
  const containers = (options.cpu ?? ['1']).map((cpu, i) => ({
    name: `c${i}`,
    image: 'busybox',
    resources: { requests: { ...(cpu === null ? {} : { cpu }), ...(options.memory ? { memory: options.memory } : {}) } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: options.labels ?? { app: 'web' },
      ...(options.deleting ? { deletionTimestamp: at(NOW) } : {}),
    },
    spec: { containers, restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
    status: {
      phase: options.phase ?? 'Running',
      startTime: at(started),
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', lastTransitionTime: at(transition) }],
    },
  };
}

function sample(name: string, cpu: string | string[], options: { agoMs?: number; window?: string; memory?: string } = {}): PodMetrics {
  const cpus = Array.isArray(cpu) ? cpu : [cpu];
  return {
    apiVersion: METRICS_API_VERSION,
    kind: 'PodMetrics',
    metadata: { name, namespace: 'default' },
    timestamp: at(NOW - (options.agoMs ?? 0)),
    window: options.window ?? '30s',
    containers: cpus.map((c, i) => ({ name: `c${i}`, usage: { cpu: c, memory: options.memory ?? '10Mi' } })),
  };
}

function replicas(input: Partial<ResourceReplicasInput> & Pick<ResourceReplicasInput, 'currentReplicas' | 'pods' | 'samples'>): ReturnType<typeof resourceReplicas> {
  return resourceReplicas({ resource: 'cpu', target: { averageUtilization: 50 }, tolerance: 0.1, group: GROUP, ...input });
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('podMetricValues', () => {
  it('sums the containers of a sample in milli-units, and leaves out a sample missing a container usage', () => {
    const broken = { ...sample('b', '1'), containers: [{ name: 'c0', usage: { cpu: 'lots', memory: '1Mi' } }] };
    const values = podMetricValues([sample('a', ['250m', '750m'], { window: '1m', agoMs: 5000 }), broken], 'cpu');
    expect([...values]).toEqual([['a', { value: 1000, timestampMs: NOW - 5000, windowMs: 60_000 }]]);
    expect(podMetricValues([sample('a', '1', { memory: '1Ki' })], 'memory').get('a')?.value).toBe(1_024_000);
  });
});

describe('podRequests and resourceUtilizationRatio', () => {
  it('sums container requests per pod; a container without one is a MissingRequestError in Kubernetes words', () => {
    expect([...podRequests([pod('a', { cpu: ['100m', '400m'] }), pod('b', { cpu: ['1.5'] })], 'cpu')]).toEqual([['a', 500], ['b', 1500]]);
    expect(() => podRequests([pod('a', { cpu: ['100m', null] })], 'cpu')).toThrow(new MissingRequestError('missing request for cpu in container c1 of Pod a'));
  });

  it('is truncated whole percent of the summed requests, the ratio to the target, and the mean usage per pod', () => {
    const metrics = new Map([['a', 333], ['b', 334], ['x', 9999]]);
    const requests = new Map([['a', 1000], ['b', 1000]]);
    // 667 of 2000 = 33.35 % → 33; the extraneous sample of x is skipped.
    expect(resourceUtilizationRatio(metrics, requests, 50)).toEqual({ ratio: 0.66, utilization: 33, rawAverage: 333 });
    expect(() => resourceUtilizationRatio(new Map([['x', 1]]), requests, 50)).toThrow('no metrics returned matched known pods');
  });
});

describe('groupPods', () => {
  it('ignores deleted and finished pods, counts Pending pods unready and pods without a sample missing', () => {
    const pods = [pod('ok'), pod('gone', { deleting: true }), pod('failed', { phase: 'Failed' }), pod('done', { phase: 'Succeeded' }), pod('pending', { phase: 'Pending' }), pod('nosample')];
    const samples = podMetricValues(['ok', 'gone', 'failed', 'done', 'pending'].map((n) => sample(n, '1')), 'cpu');
    const groups = groupPods(pods, samples, 'cpu', GROUP);
    expect(groups.readyPodCount).toBe(1);
    expect([...groups.ignored]).toEqual(['gone', 'failed', 'done']);
    expect([...groups.unready]).toEqual(['pending']);
    expect([...groups.missing]).toEqual(['nosample']);
  });

  it.each<[string, PodOptions, { agoMs?: number; window?: string }, boolean]>([
    ['young, Ready, the whole window after readiness', { startedAgo: 1 * MINUTE, transitionAgo: 40_000 }, { window: '30s' }, false],
    ['young, Ready, the window began before readiness', { startedAgo: 1 * MINUTE, transitionAgo: 20_000 }, { window: '30s' }, true],
    ['young, not Ready', { startedAgo: 1 * MINUTE, ready: false, transitionAgo: 50_000 }, {}, true],
    ['older than 5 min, not Ready, never was (readiness set within 30 s of start)', { startedAgo: 10 * MINUTE, ready: false, transitionAgo: 10 * MINUTE - 10_000 }, {}, true],
    ['older than 5 min, not Ready, but was ready once', { startedAgo: 10 * MINUTE, ready: false, transitionAgo: 2 * MINUTE }, {}, false],
    ['older than 5 min, Ready', { startedAgo: 10 * MINUTE }, {}, false],
  ])('cpu: a pod %s is unready: %s', (_name, options, sampleOptions, unready) => {
    const groups = groupPods([pod('p', options)], podMetricValues([sample('p', '1', sampleOptions)], 'cpu'), 'cpu', GROUP);
    expect(groups.unready.has('p')).toBe(unready);
    expect(groups.readyPodCount).toBe(unready ? 0 : 1);
  });

  it('without a lastTransitionTime (Skiff\'s agents stamp none), takes the controller\'s own observation, else the epoch', () => {
    const young = pod('p', { startedAgo: 1 * MINUTE });
    const bare = { ...young, status: { ...young.status!, conditions: [{ type: 'Ready', status: 'True' as const }] } };
    const samples = podMetricValues([sample('p', '1', { window: '30s' })], 'cpu');
    // Seen Ready 20 s ago: the 30 s window began before, so the sample does not count yet.
    expect(groupPods([bare], samples, 'cpu', { ...GROUP, readyTransitionMs: () => NOW - 20_000 }).unready.has('p')).toBe(true);
    expect(groupPods([bare], samples, 'cpu', { ...GROUP, readyTransitionMs: () => NOW - 40_000 }).unready.has('p')).toBe(false);
    expect(groupPods([bare], samples, 'cpu', GROUP).unready.has('p')).toBe(false);
  });

  it('judges readiness for cpu only: an unready pod counts for memory', () => {
    const unready = pod('p', { startedAgo: 1 * MINUTE, ready: false, transitionAgo: 50_000, memory: '100Mi' });
    expect(groupPods([unready], podMetricValues([sample('p', '1')], 'memory'), 'memory', GROUP).readyPodCount).toBe(1);
  });

  it('counts a pod without a Ready condition or a start time unready for cpu', () => {
    const bare = { ...pod('p'), status: { phase: 'Running' as const } };
    expect(groupPods([bare], podMetricValues([sample('p', '1')], 'cpu'), 'cpu', GROUP).unready.has('p')).toBe(true);
  });
});

describe('resourceReplicas (Utilization)', () => {
  it('scales up: 300m/500m/700m of 1 cpu each against 30 % is 50 %, so ceil(3 × 50/30) = 5', () => {
    const pods = names('p', 3).map((n) => pod(n));
    const samples = ['300m', '500m', '700m'].map((cpu, i) => sample(`p${i}`, cpu));
    expect(replicas({ currentReplicas: 3, pods, samples, target: { averageUtilization: 30 } })).toEqual({ replicas: 5, utilization: 50, rawAverage: 500 });
  });

  it('scales down: 1400m of 5 cpu is 28 % against 50 %, so ceil(5 × 0.56) = 3', () => {
    const pods = names('p', 5).map((n) => pod(n));
    const samples = ['100m', '300m', '500m', '250m', '250m'].map((cpu, i) => sample(`p${i}`, cpu));
    expect(replicas({ currentReplicas: 5, pods, samples })).toEqual({ replicas: 3, utilization: 28, rawAverage: 280 });
  });

  it('keeps the count within the 10 % tolerance (102 % against 100 %), and leaves it at 12 %', () => {
    const pods = [pod('a', { cpu: ['900m'] }), pod('b', { cpu: ['1'] }), pod('c', { cpu: ['1.1'] })];
    const within = ['1010m', '1030m', '1020m'].map((cpu, i) => sample(['a', 'b', 'c'][i] ?? '', cpu));
    expect(replicas({ currentReplicas: 3, pods, samples: within, target: { averageUtilization: 100 } })).toEqual({ replicas: 3, utilization: 102, rawAverage: 1020 });
    const beyond = ['1120m', '1120m', '1120m'].map((cpu, i) => sample(['a', 'b', 'c'][i] ?? '', cpu));
    expect(replicas({ currentReplicas: 3, pods, samples: beyond, target: { averageUtilization: 100 } }).replicas).toBe(4);
  });

  it('counts the tolerance\'s bounds as within: 66 % and 54 % against 60 % hold, 67 % and 53 % do not', () => {
    const at = (cpu: string): number => replicas({ currentReplicas: 10, pods: [pod('a')], samples: [sample('a', cpu)], target: { averageUtilization: 60 } }).replicas;
    expect([at('660m'), at('540m'), at('670m'), at('530m')]).toEqual([10, 10, 2, 1]);
  });

  it('computes the ratio from the pods counted, but multiplies by the ready ones (ceil(2 × 1.3) = 3 of 4 replicas)', () => {
    // A fourth pod is being deleted: ignored altogether.
    const pods = [pod('a'), pod('b'), pod('c', { deleting: true })];
    const samples = [sample('a', '650m'), sample('b', '650m'), sample('c', '5')];
    expect(replicas({ currentReplicas: 4, pods, samples })).toEqual({ replicas: 3, utilization: 65, rawAverage: 650 });
  });

  it('on a scale-up counts unready pods at 0: 60 % on the ready two is 40 % on three, so ceil(3 × 40/30) = 4', () => {
    const pods = [pod('a', { ready: false, startedAgo: 1 * MINUTE, transitionAgo: 50_000 }), pod('b'), pod('c')];
    const samples = [sample('a', '300m'), sample('b', '500m'), sample('c', '700m')];
    expect(replicas({ currentReplicas: 3, pods, samples, target: { averageUtilization: 30 } })).toEqual({ replicas: 4, utilization: 60, rawAverage: 600 });
  });

  it('holds when counting unready pods at 0 would turn a scale-up into a scale-down', () => {
    const young = { ready: false, startedAgo: 1 * MINUTE, transitionAgo: 50_000 };
    const pods = [pod('a'), pod('b', young), pod('c', young)];
    const samples = [sample('a', '400m'), sample('b', '500m'), sample('c', '700m')];
    expect(replicas({ currentReplicas: 3, pods, samples, target: { averageUtilization: 30 } })).toEqual({ replicas: 3, utilization: 40, rawAverage: 400 });
  });

  it('leaves unready pods out of a scale-down', () => {
    const pods = [pod('a'), pod('b'), pod('c', { phase: 'Pending' })];
    const samples = [sample('a', '100m'), sample('b', '100m')];
    // 10 % of the two against 50 %: ceil(2 × 0.2) = 1.
    expect(replicas({ currentReplicas: 3, pods, samples })).toEqual({ replicas: 1, utilization: 10, rawAverage: 100 });
  });

  it('on a scale-up counts pods without a sample at 0: 100 % on three is 75 % on four, so ceil(4 × 1.5) = 6', () => {
    const pods = names('p', 4).map((n) => pod(n));
    const samples = names('p', 3).map((n) => sample(n, '1'));
    expect(replicas({ currentReplicas: 4, pods, samples })).toEqual({ replicas: 6, utilization: 100, rawAverage: 1000 });
  });

  it('holds a scale-up that pods without a sample bring within the tolerance (190 % on one is 95 % on two)', () => {
    const pods = [pod('a'), pod('b')];
    expect(replicas({ currentReplicas: 2, pods, samples: [sample('a', '1900m')], target: { averageUtilization: 100 } })).toEqual({ replicas: 2, utilization: 190, rawAverage: 1900 });
  });

  it('on a scale-down counts pods without a sample at 100 % of their request: 1300m of 4 cpu is 32 %, so ceil(4 × 0.64) = 3', () => {
    const pods = names('p', 4).map((n) => pod(n));
    const samples = names('p', 3).map((n) => sample(n, '100m'));
    expect(replicas({ currentReplicas: 4, pods, samples })).toEqual({ replicas: 3, utilization: 10, rawAverage: 100 });
  });

  it('on a scale-down counts pods without a sample at the target when it is above 100 %: 1800m of 4 cpu is 45 %, so ceil(4 × 0.3) = 2', () => {
    const pods = names('p', 4).map((n) => pod(n));
    const samples = names('p', 3).map((n) => sample(n, '100m'));
    expect(replicas({ currentReplicas: 4, pods, samples, target: { averageUtilization: 150 } })).toEqual({ replicas: 2, utilization: 10, rawAverage: 100 });
  });

  it('holds a scale-down whose pod count would raise the replicas (ceil(4 × 0.64) = 3 > 2 current)', () => {
    const pods = names('p', 4).map((n) => pod(n));
    const samples = names('p', 3).map((n) => sample(n, '100m'));
    expect(replicas({ currentReplicas: 2, pods, samples }).replicas).toBe(2);
  });

  it('fails as Kubernetes words it: no samples, no pods, only unready samples, a missing request', () => {
    expect(() => replicas({ currentReplicas: 1, pods: [pod('a')], samples: [] })).toThrow('unable to get metrics for resource cpu: no metrics returned from resource metrics API');
    expect(() => replicas({ currentReplicas: 1, pods: [], samples: [sample('a', '1')] })).toThrow('unable to get metrics for resource cpu: no metrics returned from resource metrics API');
    expect(() => replicas({ currentReplicas: 1, pods: [pod('a', { phase: 'Pending' })], samples: [sample('a', '1')] })).toThrow(
      'did not receive metrics for targeted pods (pods might be unready)',
    );
    expect(() => replicas({ currentReplicas: 1, pods: [pod('a', { cpu: [null] })], samples: [sample('a', '1')] })).toThrow('missing request for cpu in container c0 of Pod a');
  });
});

describe('resourceReplicas (AverageValue)', () => {
  it('needs no requests: 600m per pod against 300m is ceil(3 × 2) = 6', () => {
    const pods = names('p', 3).map((n) => pod(n, { cpu: [null] }));
    const samples = names('p', 3).map((n) => sample(n, '600m'));
    expect(replicas({ currentReplicas: 3, pods, samples, target: { averageValue: 300 } })).toEqual({ replicas: 6, rawAverage: 600 });
  });

  it('measures memory in milli-bytes, and counts a pod without a sample at the target on a scale-down', () => {
    const pods = names('p', 4).map((n) => pod(n, { memory: '64Mi' }));
    const mib = 1024 * 1024 * 1000;
    const samples = names('p', 3).map((n) => sample(n, '1', { memory: '10Mi' }));
    // 10 Mi each against 40 Mi: 0.25 → with the fourth at 40 Mi: 70/4 = 17.5 Mi → 0.4375 → ceil(1.75) = 2.
    expect(replicas({ resource: 'memory', currentReplicas: 4, pods, samples, target: { averageValue: 40 * mib } })).toEqual({ replicas: 2, rawAverage: 10 * mib });
  });
});

describe('selectedPods', () => {
  it('returns the pods of the namespace the selector matches; an empty selector matches none', () => {
    const other = { ...pod('x'), metadata: { ...pod('x').metadata, namespace: 'shop' } };
    const pods = [pod('a'), pod('b', { labels: { app: 'api' } }), other];
    expect(selectedPods(pods, 'default', { matchLabels: { app: 'web' } }).map((p) => p.metadata.name)).toEqual(['a']);
    expect(selectedPods(pods, 'default', {})).toEqual([]);
  });
});
