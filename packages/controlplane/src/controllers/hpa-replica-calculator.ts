// The HorizontalPodAutoscaler's replica arithmetic for Resource metrics, as
// Kubernetes' replica_calculator.go and metrics client compute it, in pure
// functions: per-pod usage from metrics.k8s.io samples, the grouping of pods
// into ready / unready / missing a sample / ignored, utilization against the
// pods' requests, and desired = ceil(ratio × pods) with the tolerance and the
// missing- and unready-pod corrections. Values are milli-units (MilliValue),
// as Kubernetes keeps them, so cpu and memory share the code.
import { cpuMillis, parseDuration, parseQuantity, selectorFromLabelSelector, type LabelSelector, type Pod, type PodMetrics } from '@skiff/api';
import type { Immutable } from '../cache/informer.js';

/** Kubernetes' --horizontal-pod-autoscaler-tolerance: ratios within 10 % of 1 change nothing. */
export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period: CPU samples of a pod this young are judged with care. */
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay: a pod unready this soon after starting may still become ready. */
export const DEFAULT_INITIAL_READINESS_DELAY_MS = 30_000;

export type MetricResource = 'cpu' | 'memory';

/** One pod's sample: the sum over its containers, in milli-units. */
export interface PodMetric {
  readonly value: number;
  readonly timestampMs: number;
  readonly windowMs: number;
}

/** A sample's usage for `resource` by pod name; a pod whose sample lacks a container's usage is left out (as Kubernetes' metrics client does). */
export function podMetricValues(samples: readonly Immutable<PodMetrics>[], resource: MetricResource): Map<string, PodMetric> {
  const out = new Map<string, PodMetric>();
  for (const sample of samples) {
    let sum = 0;
    let complete = sample.containers.length > 0;
    for (const container of sample.containers) {
      const text = container.usage[resource];
      const parsed = typeof text === 'string' ? parseQuantity(text) : undefined;
      if (!parsed) {
        complete = false;
        break;
      }
      sum += cpuMillis(parsed);
    }
    if (!complete) continue;
    out.set(sample.metadata.name, { value: sum, timestampMs: timeOf(sample.timestamp), windowMs: windowOf(sample.window) });
  }
  return out;
}

function timeOf(text: string | undefined): number {
  const ms = Date.parse(text ?? '');
  return Number.isFinite(ms) ? ms : 0;
}

function windowOf(text: string): number {
  try {
    return parseDuration(text, 'window');
  } catch {
    return 0;
  }
}

export interface PodGroups {
  /** Pods counted as they are. */
  readonly readyPodCount: number;
  /** Pending pods, and (cpu) pods whose sample may not reflect a ready pod: left out, or counted at 0 on a scale-up. */
  readonly unready: ReadonlySet<string>;
  /** Pods without a sample: 0 on a scale-up, 100 % (or the target) on a scale-down. */
  readonly missing: ReadonlySet<string>;
  /** Pods being deleted or finished: left out. */
  readonly ignored: ReadonlySet<string>;
}

export interface GroupOptions {
  readonly nowMs: number;
  readonly cpuInitializationPeriodMs: number;
  readonly initialReadinessDelayMs: number;
  /**
   * When the pod's Ready condition last changed, for a condition that carries
   * no lastTransitionTime (Skiff's agents do not stamp one): the controller's
   * own observation. Without either it is the epoch, as Kubernetes reads a zero time.
   */
  readonly readyTransitionMs?: (pod: Immutable<Pod>) => number | undefined;
}

/** Kubernetes' groupPods. */
export function groupPods(
  pods: readonly Immutable<Pod>[],
  metrics: ReadonlyMap<string, PodMetric>,
  resource: MetricResource,
  options: GroupOptions,
): PodGroups {
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  let readyPodCount = 0;
  for (const pod of pods) {
    const name = pod.metadata.name;
    const phase = pod.status?.phase ?? 'Pending';
    if (pod.metadata.deletionTimestamp !== undefined || phase === 'Failed' || phase === 'Succeeded') {
      ignored.add(name);
      continue;
    }
    if (phase === 'Pending') {
      unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      missing.add(name);
      continue;
    }
    if (resource === 'cpu' && cpuSampleUnready(pod, metric, options)) {
      unready.add(name);
      continue;
    }
    readyPodCount++;
  }
  return { readyPodCount, unready, missing, ignored };
}

/**
 * Within the CPU initialization period after the pod started, a sample counts
 * only if the pod is Ready and the sample's whole window fell after it became
 * so (start-up CPU bursts would scale the workload up for nothing). Later, only
 * a pod that has never been ready (unready, and its readiness last changed
 * within the initial readiness delay of its start) is left out.
 */
function cpuSampleUnready(pod: Immutable<Pod>, metric: PodMetric, options: GroupOptions): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const startText = pod.status?.startTime;
  if (!ready || startText === undefined) return true;
  const start = timeOf(startText);
  const transition = ready.lastTransitionTime !== undefined ? timeOf(ready.lastTransitionTime) : (options.readyTransitionMs?.(pod) ?? 0);
  if (start + options.cpuInitializationPeriodMs > options.nowMs) {
    return ready.status === 'False' || metric.timestampMs < transition + metric.windowMs;
  }
  return ready.status === 'False' && start + options.initialReadinessDelayMs > transition;
}

export class MissingRequestError extends Error {}

/** Each pod's summed container requests for `resource` (milli-units); a container without one is an error, as in Kubernetes. */
export function podRequests(pods: readonly Immutable<Pod>[], resource: MetricResource): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const container of pod.spec.containers) {
      const request = container.resources?.requests?.[resource];
      const parsed = request === undefined ? undefined : parseQuantity(request);
      if (!parsed) throw new MissingRequestError(`missing request for ${resource} in container ${container.name} of Pod ${pod.metadata.name}`);
      sum += cpuMillis(parsed);
    }
    out.set(pod.metadata.name, sum);
  }
  return out;
}

export interface UtilizationRatio {
  readonly ratio: number;
  /** Whole percent of the summed requests, truncated. */
  readonly utilization: number;
  /** Mean usage per pod counted, milli-units, truncated. */
  readonly rawAverage: number;
}

/** Kubernetes' GetResourceUtilizationRatio: samples of pods without a request entry are extraneous and skipped. */
export function resourceUtilizationRatio(metrics: ReadonlyMap<string, number>, requests: ReadonlyMap<string, number>, targetUtilization: number): UtilizationRatio {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [pod, value] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    metricsTotal += value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** Kubernetes' GetMetricUsageRatio: mean usage per pod against the per-pod target. */
export function metricUsageRatio(metrics: ReadonlyMap<string, number>, targetAverage: number): { ratio: number; average: number } {
  let total = 0;
  for (const value of metrics.values()) total += value;
  const average = Math.trunc(total / metrics.size);
  return { ratio: average / targetAverage, average };
}

export interface ResourceReplicasInput {
  readonly currentReplicas: number;
  readonly resource: MetricResource;
  /** The pods the target's selector matches. */
  readonly pods: readonly Immutable<Pod>[];
  /** Samples of those pods (others are ignored). */
  readonly samples: readonly Immutable<PodMetrics>[];
  readonly target: { readonly averageUtilization: number } | { readonly averageValue: number };
  readonly tolerance: number;
  readonly group: GroupOptions;
}

export interface ResourceReplicas {
  readonly replicas: number;
  /** Utilization targets only. */
  readonly utilization?: number;
  /** Mean usage per pod, milli-units. */
  readonly rawAverage: number;
}

/** The pods of `pods` the selector matches, in one namespace: what Kubernetes' pod lister returns for the scale's selector. */
export function selectedPods(pods: readonly Immutable<Pod>[], namespace: string, selector: Immutable<LabelSelector>): Immutable<Pod>[] {
  const compiled = selectorFromLabelSelector(selector as LabelSelector);
  if (compiled.isEmpty()) return [];
  return pods.filter((pod) => (pod.metadata.namespace ?? 'default') === namespace && compiled.matches(pod.metadata.labels ?? {}));
}

/**
 * Kubernetes' GetResourceReplicas (Utilization) and GetRawResourceReplicas
 * (AverageValue): the replica count that brings the metric to its target.
 * Throws with Kubernetes' words when it cannot be computed.
 */
export function resourceReplicas(input: ResourceReplicasInput): ResourceReplicas {
  const { currentReplicas, resource, pods, tolerance } = input;
  const known = new Set(pods.map((pod) => pod.metadata.name));
  const sampled = [...podMetricValues(input.samples, resource)].filter(([pod]) => known.has(pod));
  if (sampled.length === 0) throw new Error(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const samples = new Map(sampled);
  const groups = groupPods(pods, samples, resource, input.group);
  const metrics = new Map<string, number>();
  for (const [pod, metric] of samples) if (!groups.ignored.has(pod) && !groups.unready.has(pod)) metrics.set(pod, metric.value);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');

  let ratioOf: (values: ReadonlyMap<string, number>) => number;
  let fallbackDown: (pod: string) => number;
  let report: Omit<ResourceReplicas, 'replicas'>;
  if ('averageUtilization' in input.target) {
    const target = input.target.averageUtilization;
    const requests = podRequests(pods, resource);
    const first = resourceUtilizationRatio(metrics, requests, target);
    ratioOf = (values) => resourceUtilizationRatio(values, requests, target).ratio;
    // On a scale-down a pod without a sample counts as using all it requested (or the target, above 100 %).
    fallbackDown = (pod) => Math.trunc(((requests.get(pod) ?? 0) * Math.max(100, target)) / 100);
    report = { utilization: first.utilization, rawAverage: first.rawAverage };
  } else {
    const target = input.target.averageValue;
    ratioOf = (values) => metricUsageRatio(values, target).ratio;
    fallbackDown = () => target;
    report = { rawAverage: metricUsageRatio(metrics, target).average };
  }
  const usageRatio = ratioOf(metrics);
  // Kubernetes' Tolerances.isWithin (1.33): the bounds themselves are within, so 66 % against 60 % holds.
  const within = (ratio: number): boolean => 1.0 - tolerance <= ratio && ratio <= 1.0 + tolerance;

  const scaleUpWithUnready = groups.unready.size > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (within(usageRatio)) return { replicas: currentReplicas, ...report };
    return { replicas: Math.ceil(usageRatio * groups.readyPodCount), ...report };
  }
  if (groups.missing.size > 0) {
    // Kubernetes fills missing pods for the direction the ready ones point to:
    // the utilization path only when that direction is strict, the raw one also at exactly 1.
    const utilizationTarget = 'averageUtilization' in input.target;
    if (usageRatio < 1.0) for (const pod of groups.missing) metrics.set(pod, fallbackDown(pod));
    else if (usageRatio > 1.0 || !utilizationTarget) for (const pod of groups.missing) metrics.set(pod, 0);
  }
  if (scaleUpWithUnready) for (const pod of groups.unready) metrics.set(pod, 0);

  const newUsageRatio = ratioOf(metrics);
  // Too small a change, or the assumed pods turned the direction round: hold.
  if (within(newUsageRatio) || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) {
    return { replicas: currentReplicas, ...report };
  }
  const replicas = Math.ceil(newUsageRatio * metrics.size);
  if ((newUsageRatio < 1.0 && replicas > currentReplicas) || (newUsageRatio > 1.0 && replicas < currentReplicas)) {
    return { replicas: currentReplicas, ...report };
  }
  return { replicas, ...report };
}
