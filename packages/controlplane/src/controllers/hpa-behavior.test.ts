// Kubernetes' behavior arithmetic (horizontal.go): stabilization windows over
// the recommendation history, the scale-up and scale-down policies, the
// min/max clamp, and the scale-event history, with exact numbers.
import { describe, expect, it } from 'vitest';
import { defaultScaleDownRules, defaultScaleUpRules, type HorizontalPodAutoscalerBehavior, type HPAScalingRules } from '@skiff/api';
import {
  changeInPeriod,
  EMPTY_HISTORY,
  limitByRate,
  recordScaleEvent,
  scaleDownLimit,
  scaleUpLimit,
  stabilizeRecommendation,
  withInitialRecommendation,
  type ScalingHistory,
} from './hpa-behavior.js';

const NOW = 1_000_000_000;
const S = 1000;
const DEFAULTS: HorizontalPodAutoscalerBehavior = { scaleUp: defaultScaleUpRules(), scaleDown: defaultScaleDownRules() };
const history = (recommendations: [number, number][], up: [number, number][] = [], down: [number, number][] = []): ScalingHistory => ({
  recommendations: recommendations.map(([replicas, ago]) => ({ replicas, atMs: NOW - ago * S })),
  scaleUpEvents: up.map(([change, ago]) => ({ change, atMs: NOW - ago * S })),
  scaleDownEvents: down.map(([change, ago]) => ({ change, atMs: NOW - ago * S })),
});
const rules = (policies: HPAScalingRules['policies'], selectPolicy: HPAScalingRules['selectPolicy'] = 'Max'): HPAScalingRules => ({ stabilizationWindowSeconds: 0, selectPolicy, policies });

describe('withInitialRecommendation', () => {
  it('records the current count once, when the HPA is first seen', () => {
    const first = withInitialRecommendation(EMPTY_HISTORY, 4, NOW);
    expect(first.recommendations).toEqual([{ replicas: 4, atMs: NOW }]);
    expect(withInitialRecommendation(first, 9, NOW + S)).toBe(first);
  });
});

describe('stabilizeRecommendation', () => {
  it('holds a scale-down at the highest recommendation of the last 300 s, and records this one', () => {
    const result = stabilizeRecommendation(history([[5, 200], [3, 100]]), DEFAULTS, 5, 2, NOW);
    expect(result.replicas).toBe(5);
    expect(result.reason).toBe('ScaleDownStabilized');
    expect(result.message).toBe('recent recommendations were higher than current one, applying the highest recent recommendation');
    expect(result.history.recommendations.map((r) => r.replicas)).toEqual([5, 3, 2]);
  });

  it('lets a recommendation older than the window go, and reuses its place', () => {
    const result = stabilizeRecommendation(history([[5, 301], [3, 100]]), DEFAULTS, 5, 2, NOW);
    expect(result.replicas).toBe(3);
    expect(result.history.recommendations).toEqual([{ replicas: 2, atMs: NOW }, { replicas: 3, atMs: NOW - 100 * S }]);
  });

  it('scales up at once with the default (0 s) scale-up window', () => {
    const result = stabilizeRecommendation(history([[2, 200], [2, 10]]), DEFAULTS, 2, 6, NOW);
    expect([result.replicas, result.reason]).toEqual([6, 'ScaleUpStabilized']);
  });

  it('holds a scale-up at the lowest recommendation of a scale-up window', () => {
    const behavior = { ...DEFAULTS, scaleUp: { ...defaultScaleUpRules(), stabilizationWindowSeconds: 60 } };
    const result = stabilizeRecommendation(history([[3, 30], [5, 10]]), behavior, 2, 6, NOW);
    expect([result.replicas, result.reason]).toEqual([3, 'ScaleUpStabilized']);
    expect(result.message).toBe('recent recommendations were lower than current one, applying the lowest recent recommendation');
  });

  it('never moves against the current count: the window bounds it from both sides', () => {
    // Desired 4 with current 4, and a higher recommendation still in the window: stays 4.
    expect(stabilizeRecommendation(history([[6, 100]]), DEFAULTS, 4, 4, NOW).replicas).toBe(4);
  });
});

describe('changeInPeriod', () => {
  it('sums the events strictly inside the period', () => {
    expect(changeInPeriod(history([], [[2, 5], [3, 14], [7, 15], [9, 40]]).scaleUpEvents, 15, NOW)).toBe(5);
  });
});

describe('scaleUpLimit', () => {
  it.each<[string, HPAScalingRules, number, ScalingHistory, number]>([
    ['default: the more of +4 pods and +100 % (3 → 7)', defaultScaleUpRules(), 3, EMPTY_HISTORY, 7],
    ['default: the more of +4 pods and +100 % (10 → 20)', defaultScaleUpRules(), 10, EMPTY_HISTORY, 20],
    ['from the count at the start of the period (6 after +3 five seconds ago → 7)', defaultScaleUpRules(), 6, history([], [[3, 5]]), 7],
    ['events before the period do not count (6 → 12)', defaultScaleUpRules(), 6, history([], [[3, 20]]), 12],
    ['scale-downs in the period raise the start (4 after -2 starts from 6: the more of 10 and 12)', defaultScaleUpRules(), 4, history([], [], [[2, 5]]), 12],
    ['Min picks the least (10 → 14)', { ...defaultScaleUpRules(), selectPolicy: 'Min' }, 10, EMPTY_HISTORY, 14],
    ['Disabled allows nothing', { ...defaultScaleUpRules(), selectPolicy: 'Disabled' }, 10, EMPTY_HISTORY, 10],
    ['a percentage rounds up (10 % of 3 → 4)', rules([{ type: 'Percent', value: 10, periodSeconds: 60 }]), 3, EMPTY_HISTORY, 4],
  ])('%s', (_name, scalingRules, current, events, expected) => {
    expect(scaleUpLimit(current, events, scalingRules, NOW)).toBe(expected);
  });
});

describe('scaleDownLimit', () => {
  it.each<[string, HPAScalingRules, number, ScalingHistory, number]>([
    ['default: 100 % may go at once', defaultScaleDownRules(), 10, EMPTY_HISTORY, 0],
    ['Max picks the larger change (-2 pods or -50 % of 10 → 5)', rules([{ type: 'Pods', value: 2, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }]), 10, EMPTY_HISTORY, 5],
    ['Min picks the smaller (→ 8)', rules([{ type: 'Pods', value: 2, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }], 'Min'), 10, EMPTY_HISTORY, 8],
    ['a percentage keeps whole pods, rounded down (30 % of 5 → 3)', rules([{ type: 'Percent', value: 30, periodSeconds: 60 }]), 5, EMPTY_HISTORY, 3],
    ['from the count at the start of the period (8 after -2 → 10 - 2 = 8)', rules([{ type: 'Pods', value: 2, periodSeconds: 60 }]), 8, history([], [], [[2, 30]]), 8],
    ['Disabled allows nothing', { ...defaultScaleDownRules(), selectPolicy: 'Disabled' }, 10, EMPTY_HISTORY, 10],
  ])('%s', (_name, scalingRules, current, events, expected) => {
    expect(scaleDownLimit(current, events, scalingRules, NOW)).toBe(expected);
  });
});

describe('limitByRate', () => {
  const bounds = { minReplicas: 2, maxReplicas: 10 };
  it.each<[string, HorizontalPodAutoscalerBehavior, ScalingHistory, number, number, [number, string]]>([
    ['the rate bounds a scale-up (2 → at most 6)', DEFAULTS, EMPTY_HISTORY, 2, 20, [6, 'ScaleUpLimit']],
    ['maxReplicas bounds a scale-up (8 → 10)', DEFAULTS, EMPTY_HISTORY, 8, 20, [10, 'TooManyReplicas']],
    ['a used-up rate holds the count (4 after +8 in the period)', DEFAULTS, history([], [[8, 5]]), 4, 6, [4, 'ScaleUpLimit']],
    ['the rate bounds a scale-down (10 → at least 8)', { ...DEFAULTS, scaleDown: rules([{ type: 'Pods', value: 2, periodSeconds: 60 }]) }, EMPTY_HISTORY, 10, 1, [8, 'ScaleDownLimit']],
    ['minReplicas bounds a scale-down (10 → 2)', DEFAULTS, EMPTY_HISTORY, 10, 1, [2, 'TooFewReplicas']],
    ['within range', DEFAULTS, EMPTY_HISTORY, 4, 7, [7, 'DesiredWithinRange']],
    ['no change', DEFAULTS, EMPTY_HISTORY, 4, 4, [4, 'DesiredWithinRange']],
  ])('%s', (_name, behavior, events, current, desired, [replicas, reason]) => {
    const limited = limitByRate(events, behavior, bounds, current, desired, NOW);
    expect([limited.replicas, limited.reason]).toEqual([replicas, reason]);
  });

  it('words the limits as Kubernetes does', () => {
    expect(limitByRate(EMPTY_HISTORY, DEFAULTS, bounds, 2, 20, NOW).message).toBe('the desired replica count is increasing faster than the maximum scale rate');
    expect(limitByRate(EMPTY_HISTORY, DEFAULTS, bounds, 8, 20, NOW).message).toBe('the desired replica count is more than the maximum replica count');
    expect(limitByRate(EMPTY_HISTORY, DEFAULTS, bounds, 10, 1, NOW).message).toBe('the desired replica count is less than the minimum replica count');
    expect(limitByRate(EMPTY_HISTORY, DEFAULTS, bounds, 4, 7, NOW).message).toBe('the desired count is within the acceptable range');
  });
});

describe('recordScaleEvent', () => {
  it('adds the change to its direction and drops events older than that direction\'s longest period', () => {
    const before = history([], [[1, 16], [2, 10]], [[3, 400]]);
    const up = recordScaleEvent(before, DEFAULTS, 3, 7, NOW);
    expect(up.scaleUpEvents).toEqual([{ change: 2, atMs: NOW - 10 * S }, { change: 4, atMs: NOW }]);
    expect(up.scaleDownEvents).toBe(before.scaleDownEvents);
    const down = recordScaleEvent(before, DEFAULTS, 7, 5, NOW);
    expect(down.scaleDownEvents).toEqual([{ change: 2, atMs: NOW }]);
    expect(recordScaleEvent(before, DEFAULTS, 5, 5, NOW)).toBe(before);
  });
});
