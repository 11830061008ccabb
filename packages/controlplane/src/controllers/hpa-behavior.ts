// The HorizontalPodAutoscaler's `behavior`, as Kubernetes' horizontal.go
// applies it (normalizeDesiredReplicasWithBehaviors), in pure functions over a
// per-HPA history the controller keeps in memory: the stabilization windows
// (scale up to the lowest recommendation of the scale-up window, down to the
// highest of the scale-down window) and the rate-limiting policies (how many
// pods, or what percentage, may be added or removed per period), then the
// minReplicas/maxReplicas clamp. Each function returns a new history.
import type { HorizontalPodAutoscalerBehavior, HPAScalingRules } from '@skiff/api';
import type { Immutable } from '../cache/informer.js';

export interface Recommendation {
  readonly replicas: number;
  readonly atMs: number;
}

export interface ScaleEvent {
  /** Pods added (scale-up history) or removed (scale-down history). */
  readonly change: number;
  readonly atMs: number;
}

/** What the controller remembers of one HPA between syncs (lost on restart, as in Kubernetes). */
export interface ScalingHistory {
  readonly recommendations: readonly Recommendation[];
  readonly scaleUpEvents: readonly ScaleEvent[];
  readonly scaleDownEvents: readonly ScaleEvent[];
}

export const EMPTY_HISTORY: ScalingHistory = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };

/** Kubernetes' recordInitialRecommendation: the replica count when the HPA was first seen, so nothing scales down within a window of it. */
export function withInitialRecommendation(history: ScalingHistory, currentReplicas: number, nowMs: number): ScalingHistory {
  if (history.recommendations.length > 0) return history;
  return { ...history, recommendations: [{ replicas: currentReplicas, atMs: nowMs }] };
}

export interface Stabilized {
  readonly replicas: number;
  readonly reason: 'ScaleUpStabilized' | 'ScaleDownStabilized';
  readonly message: string;
  readonly history: ScalingHistory;
}

/**
 * Kubernetes' stabilizeRecommendationWithBehaviors: the recommendation is kept
 * between the lowest of the scale-up window and the highest of the scale-down
 * window (each including this one), starting from the current count; this
 * recommendation joins the history, in the place of one older than both windows.
 */
export function stabilizeRecommendation(
  history: ScalingHistory,
  behavior: Immutable<HorizontalPodAutoscalerBehavior>,
  currentReplicas: number,
  desiredReplicas: number,
  nowMs: number,
): Stabilized {
  const upCutoff = nowMs - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = nowMs - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let up = desiredReplicas;
  let down = desiredReplicas;
  let oldIndex = -1;
  history.recommendations.forEach((rec, i) => {
    if (rec.atMs > upCutoff) up = Math.min(rec.replicas, up);
    if (rec.atMs > downCutoff) down = Math.max(rec.replicas, down);
    if (rec.atMs < upCutoff && rec.atMs < downCutoff) oldIndex = i;
  });
  let replicas = currentReplicas;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  const entry = { replicas: desiredReplicas, atMs: nowMs };
  const recommendations = oldIndex >= 0 ? history.recommendations.map((rec, i) => (i === oldIndex ? entry : rec)) : [...history.recommendations, entry];
  const upward = desiredReplicas >= currentReplicas;
  return {
    replicas,
    reason: upward ? 'ScaleUpStabilized' : 'ScaleDownStabilized',
    message: upward
      ? 'recent recommendations were lower than current one, applying the lowest recent recommendation'
      : 'recent recommendations were higher than current one, applying the highest recent recommendation',
    history: { ...history, recommendations },
  };
}

/** Kubernetes' getReplicasChangePerPeriod: pods changed by the events of the last `periodSeconds`. */
export function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  return events.reduce((sum, event) => (event.atMs > cutoff ? sum + event.change : sum), 0);
}

/**
 * Kubernetes' calculateScaleUpLimitWithScalingRules: each policy allows
 * (replicas at the start of its period) + value pods, or × (1 + value %)
 * rounded up; selectPolicy Max takes the most permissive, Min the least,
 * Disabled allows nothing.
 */
export function scaleUpLimit(currentReplicas: number, history: ScalingHistory, rules: Immutable<HPAScalingRules>, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const policy of rules.policies) {
    const start = currentReplicas - changeInPeriod(history.scaleUpEvents, policy.periodSeconds, nowMs) + changeInPeriod(history.scaleDownEvents, policy.periodSeconds, nowMs);
    const proposed = policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** Kubernetes' calculateScaleDownLimitWithBehaviors: the mirror image (a percentage rounds the pods kept down). */
export function scaleDownLimit(currentReplicas: number, history: ScalingHistory, rules: Immutable<HPAScalingRules>, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const policy of rules.policies) {
    const start = currentReplicas - changeInPeriod(history.scaleUpEvents, policy.periodSeconds, nowMs) + changeInPeriod(history.scaleDownEvents, policy.periodSeconds, nowMs);
    const proposed = policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

export interface RateLimited {
  readonly replicas: number;
  readonly reason: 'ScaleUpLimit' | 'TooManyReplicas' | 'ScaleDownLimit' | 'TooFewReplicas' | 'DesiredWithinRange';
  readonly message: string;
}

export interface Bounds {
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/** Kubernetes' convertDesiredReplicasWithBehaviorRate: the rate limit and min/max, and which of them bound the answer. */
export function limitByRate(
  history: ScalingHistory,
  behavior: Immutable<HorizontalPodAutoscalerBehavior>,
  bounds: Bounds,
  currentReplicas: number,
  desiredReplicas: number,
  nowMs: number,
): RateLimited {
  if (desiredReplicas > currentReplicas) {
    const limit = Math.max(currentReplicas, scaleUpLimit(currentReplicas, history, behavior.scaleUp, nowMs));
    const byRate = bounds.maxReplicas > limit;
    const allowed = byRate ? limit : bounds.maxReplicas;
    if (desiredReplicas > allowed) {
      return byRate
        ? { replicas: allowed, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
        : { replicas: allowed, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    }
  } else if (desiredReplicas < currentReplicas) {
    const limit = Math.min(currentReplicas, scaleDownLimit(currentReplicas, history, behavior.scaleDown, nowMs));
    const byRate = bounds.minReplicas < limit;
    const allowed = byRate ? limit : bounds.minReplicas;
    if (desiredReplicas < allowed) {
      return byRate
        ? { replicas: allowed, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' }
        : { replicas: allowed, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    }
  }
  return { replicas: desiredReplicas, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}

/**
 * Kubernetes' storeScaleEvent: a rescale joins the history of its direction;
 * events older than that direction's longest policy period no longer limit
 * anything and are dropped (Kubernetes marks them for reuse, to the same effect).
 */
export function recordScaleEvent(
  history: ScalingHistory,
  behavior: Immutable<HorizontalPodAutoscalerBehavior>,
  previousReplicas: number,
  newReplicas: number,
  nowMs: number,
): ScalingHistory {
  if (newReplicas === previousReplicas) return history;
  const up = newReplicas > previousReplicas;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
  const cutoff = nowMs - longest * 1000;
  const events = (up ? history.scaleUpEvents : history.scaleDownEvents).filter((event) => event.atMs >= cutoff);
  const next = [...events, { change: Math.abs(newReplicas - previousReplicas), atMs: nowMs }];
  return up ? { ...history, scaleUpEvents: next } : { ...history, scaleDownEvents: next };
}
