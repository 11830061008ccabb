// One HorizontalPodAutoscaler sync's decision, as Kubernetes'
// reconcileAutoscaler makes it, in pure functions: from the target's replica
// count, its pods and their samples, and the HPA's scaling history, the new
// size (if any), the status (currentMetrics, conditions) and the events to
// record. The controller (horizontal-pod-autoscaler-controller.ts) reads the
// cache, writes the scale and the status, and keeps the history.
import {
  cpuMillis,
  defaultScaleDownRules,
  defaultScaleUpRules,
  DEFAULT_CPU_UTILIZATION,
  formatCpu,
  formatMemory,
  toTimestamp,
  type HorizontalPodAutoscaler,
  type HorizontalPodAutoscalerBehavior,
  type HorizontalPodAutoscalerCondition,
  type HorizontalPodAutoscalerStatus,
  type MetricSpec,
  type MetricStatus,
  type Pod,
  type PodMetrics,
} from '@skiff/api';
import type { Immutable } from '../cache/informer.js';
import { limitByRate, recordScaleEvent, stabilizeRecommendation, withInitialRecommendation, type ScalingHistory } from './hpa-behavior.js';
import { conditionOf, setCondition } from './hpa-conditions.js';
import { resourceReplicas, type GroupOptions } from './hpa-replica-calculator.js';

export interface DecisionOptions {
  readonly tolerance: number;
  readonly cpuInitializationPeriodMs: number;
  readonly initialReadinessDelayMs: number;
  /** See GroupOptions.readyTransitionMs. */
  readonly readyTransitionMs?: (pod: Immutable<Pod>) => number | undefined;
}

export interface HpaEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface Decision {
  /** The size to write to the target's spec.replicas, and why; absent when it stays. */
  readonly rescale?: { readonly replicas: number; readonly reason: string };
  readonly currentReplicas: number;
  readonly metrics: MetricStatus[];
  readonly conditions: HorizontalPodAutoscalerCondition[];
  readonly events: HpaEvent[];
  readonly history: ScalingHistory;
  /** The metrics could not be computed: status is written, nothing is scaled, the sync is retried with back-off. */
  readonly error?: string;
}

export interface DecisionInput {
  readonly hpa: Immutable<HorizontalPodAutoscaler>;
  /** The target's spec.replicas (the scale subresource's spec). */
  readonly currentReplicas: number;
  /** The pods the target's selector matches. */
  readonly pods: readonly Immutable<Pod>[];
  readonly samples: readonly Immutable<PodMetrics>[];
  readonly history: ScalingHistory;
  readonly nowMs: number;
  readonly options: DecisionOptions;
}

/** "cpu resource utilization (percentage of request)", as Kubernetes names a metric in conditions and events. */
export function metricName(spec: Immutable<MetricSpec>): string {
  const { name, target } = spec.resource;
  return target.type === 'Utilization' ? `${name} resource utilization (percentage of request)` : `${name} resource`;
}

/** A milli-value as a quantity: cpu in cores ("250m"), memory in bytes ("128Mi"). */
export function formatMilli(resource: 'cpu' | 'memory', milli: number): string {
  if (resource === 'cpu') return formatCpu(milli);
  return milli % 1000 === 0 ? formatMemory(milli / 1000) : `${milli}m`;
}

/**
 * The metrics and behavior in force. Validation writes Kubernetes' defaults
 * into every object it admits; these cover an object stored some other way.
 */
function metricsOf(hpa: Immutable<HorizontalPodAutoscaler>): readonly Immutable<MetricSpec>[] {
  const metrics = hpa.spec.metrics ?? [];
  return metrics.length > 0 ? metrics : [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
}

function behaviorOf(hpa: Immutable<HorizontalPodAutoscaler>): Immutable<HorizontalPodAutoscalerBehavior> {
  const behavior = hpa.spec.behavior as Immutable<Partial<HorizontalPodAutoscalerBehavior>> | undefined;
  return { scaleUp: behavior?.scaleUp ?? defaultScaleUpRules(), scaleDown: behavior?.scaleDown ?? defaultScaleDownRules() };
}

interface MetricsOutcome {
  readonly replicas: number;
  readonly metric: string;
  readonly statuses: MetricStatus[];
  readonly conditions: HorizontalPodAutoscalerCondition[];
  readonly events: HpaEvent[];
  readonly error?: string;
}

/** Kubernetes' computeReplicasForMetrics: the largest proposal of the metrics; fails when all fail, or some fail and the rest would scale down. */
function computeReplicasForMetrics(input: DecisionInput, conditions: HorizontalPodAutoscalerCondition[], now: string): MetricsOutcome {
  const { hpa, currentReplicas, options } = input;
  const group: GroupOptions = {
    nowMs: input.nowMs,
    cpuInitializationPeriodMs: options.cpuInitializationPeriodMs,
    initialReadinessDelayMs: options.initialReadinessDelayMs,
    ...(options.readyTransitionMs ? { readyTransitionMs: options.readyTransitionMs } : {}),
  };
  const statuses: MetricStatus[] = [];
  const events: HpaEvent[] = [];
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let firstError: { condition: string; error: string } | undefined;
  const specs = metricsOf(hpa);
  for (const spec of specs) {
    const { name, target } = spec.resource;
    try {
      const goal =
        target.type === 'Utilization'
          ? { averageUtilization: target.averageUtilization ?? 0 }
          : { averageValue: cpuMillis(target.averageValue ?? '0') };
      const proposal = resourceReplicas({ currentReplicas, resource: name, pods: input.pods, samples: input.samples, target: goal, tolerance: options.tolerance, group });
      const current = {
        ...(proposal.utilization === undefined ? {} : { averageUtilization: proposal.utilization }),
        averageValue: formatMilli(name, proposal.rawAverage),
      };
      statuses.push({ type: 'Resource', resource: { name, current } });
      if (replicas === 0 || proposal.replicas > replicas) {
        replicas = proposal.replicas;
        metric = metricName(spec);
      }
    } catch (error) {
      const raw = error instanceof Error ? error.message : String(error);
      const wrapped = `failed to get ${name} ${target.type === 'Utilization' ? 'utilization' : 'usage'}: ${raw}`;
      statuses.push({ type: 'Resource', resource: { name, current: {} } });
      events.push({ type: 'Warning', reason: 'FailedGetResourceMetric', message: wrapped });
      invalid++;
      firstError ??= { condition: `the HPA was unable to compute the replica count: ${wrapped}`, error: wrapped };
    }
  }
  if (firstError && (invalid >= specs.length || replicas < currentReplicas)) {
    const error = `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.error}`;
    return {
      replicas: -1,
      metric: '',
      statuses,
      conditions: setCondition(conditions, 'ScalingActive', 'False', 'FailedGetResourceMetric', firstError.condition, now),
      events: [...events, { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: error }],
      error,
    };
  }
  const message = `the HPA was able to successfully calculate a replica count from ${metric}`;
  return { replicas, metric, statuses, conditions: setCondition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', message, now), events };
}

/** Kubernetes' reconcileAutoscaler, up to (not including) the scale write. */
export function decide(input: DecisionInput): Decision {
  const { hpa, currentReplicas, nowMs } = input;
  const now = toTimestamp(new Date(nowMs));
  let conditions = setCondition(hpa.status?.conditions ?? [], 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", now);
  let history = withInitialRecommendation(input.history, currentReplicas, nowMs);
  const { maxReplicas } = hpa.spec;
  const minReplicas = hpa.spec.minReplicas ?? 1;
  const behavior = behaviorOf(hpa);
  let desired = 0;
  let reason = '';
  let metrics: MetricStatus[] = [];
  let events: HpaEvent[] = [];
  if (currentReplicas === 0 && minReplicas !== 0) {
    conditions = setCondition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now);
    return { currentReplicas, metrics, conditions, events, history };
  } else if (currentReplicas > maxReplicas) {
    reason = 'Current number of replicas above Spec.MaxReplicas';
    desired = maxReplicas;
  } else if (currentReplicas < minReplicas) {
    reason = 'Current number of replicas below Spec.MinReplicas';
    desired = minReplicas;
  } else {
    const computed = computeReplicasForMetrics(input, conditions, now);
    metrics = computed.statuses;
    conditions = computed.conditions;
    events = onlyNewWarnings(computed.events, hpa.status?.conditions, computed.conditions);
    if (computed.error !== undefined) return { currentReplicas, metrics, conditions, events, history, error: computed.error };
    desired = Math.max(0, computed.replicas);
    if (desired > currentReplicas) reason = `${computed.metric} above target`;
    if (desired < currentReplicas) reason = 'All metrics below target';
    // normalizeDesiredReplicasWithBehaviors
    const stabilized = stabilizeRecommendation(history, behavior, currentReplicas, desired, nowMs);
    history = stabilized.history;
    conditions =
      stabilized.replicas !== desired
        ? setCondition(conditions, 'AbleToScale', 'True', stabilized.reason, stabilized.message, now)
        : setCondition(conditions, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size', now);
    const limited = limitByRate(history, behavior, { minReplicas, maxReplicas }, currentReplicas, stabilized.replicas, nowMs);
    conditions = setCondition(conditions, 'ScalingLimited', limited.replicas === stabilized.replicas ? 'False' : 'True', limited.reason, limited.message, now);
    desired = limited.replicas;
  }
  const rescale = desired !== currentReplicas ? { replicas: desired, reason } : undefined;
  return { ...(rescale ? { rescale } : {}), currentReplicas, metrics, conditions, events, history };
}

/**
 * Kubernetes records its warnings on every failed sync; Skiff records them
 * when the failure is new (ScalingActive was not already False with the same
 * message), so a workload without metrics does not write an event every resync.
 */
function onlyNewWarnings(
  events: HpaEvent[],
  before: readonly HorizontalPodAutoscalerCondition[] | undefined,
  after: readonly HorizontalPodAutoscalerCondition[],
): HpaEvent[] {
  const was = conditionOf(before, 'ScalingActive');
  const is = conditionOf(after, 'ScalingActive');
  const repeated = was?.status === 'False' && is?.status === 'False' && was.message === is.message;
  return repeated ? events.filter((e) => e.type !== 'Warning') : events;
}

/** The status and history after the target was rescaled (SucceededRescale, the SuccessfulRescale event). */
export function afterRescale(input: DecisionInput, decision: Decision): { status: HorizontalPodAutoscalerStatus; events: HpaEvent[]; history: ScalingHistory } {
  const { rescale } = decision;
  if (!rescale) throw new Error('afterRescale without a rescale');
  const now = toTimestamp(new Date(input.nowMs));
  const conditions = setCondition(decision.conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${rescale.replicas}`, now);
  return {
    status: statusOf(input, decision, rescale.replicas, conditions, now),
    events: [...decision.events, { type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${rescale.replicas}; reason: ${rescale.reason}` }],
    history: recordScaleEvent(decision.history, behaviorOf(input.hpa), decision.currentReplicas, rescale.replicas, input.nowMs),
  };
}

/** The status and events when the scale write failed (FailedUpdateScale, the FailedRescale event). */
export function afterFailedRescale(input: DecisionInput, decision: Decision, error: string): { status: HorizontalPodAutoscalerStatus; events: HpaEvent[] } {
  const { rescale } = decision;
  if (!rescale) throw new Error('afterFailedRescale without a rescale');
  const now = toTimestamp(new Date(input.nowMs));
  const conditions = setCondition(decision.conditions, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${error}`, now);
  return {
    status: statusOf(input, decision, input.hpa.status?.desiredReplicas ?? decision.currentReplicas, conditions, undefined),
    events: [...decision.events, { type: 'Warning', reason: 'FailedRescale', message: `New size: ${rescale.replicas}; reason: ${rescale.reason}; error: ${error}` }],
  };
}

/** The status when nothing was rescaled (desired is the current count, as Kubernetes reports it). */
export function unchangedStatus(input: DecisionInput, decision: Decision): HorizontalPodAutoscalerStatus {
  const desired = decision.error === undefined ? decision.currentReplicas : (input.hpa.status?.desiredReplicas ?? decision.currentReplicas);
  return statusOf(input, decision, desired, decision.conditions, undefined);
}

function statusOf(
  input: DecisionInput,
  decision: Decision,
  desiredReplicas: number,
  conditions: HorizontalPodAutoscalerCondition[],
  scaledAt: string | undefined,
): HorizontalPodAutoscalerStatus {
  const { hpa } = input;
  const lastScaleTime = scaledAt ?? hpa.status?.lastScaleTime;
  return {
    ...(hpa.metadata.generation === undefined ? {} : { observedGeneration: hpa.metadata.generation }),
    ...(lastScaleTime === undefined ? {} : { lastScaleTime }),
    currentReplicas: decision.currentReplicas,
    desiredReplicas,
    ...(decision.metrics.length > 0 ? { currentMetrics: decision.metrics } : {}),
    conditions,
  };
}
