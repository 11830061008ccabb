// The HorizontalPodAutoscaler's status conditions (AbleToScale, ScalingActive,
// ScalingLimited) as Kubernetes' setCondition keeps them: one per type, its
// lastTransitionTime moved only when its status changes.
import type { HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerConditionType } from '@skiff/api';

export function setCondition(
  conditions: readonly HorizontalPodAutoscalerCondition[],
  type: HorizontalPodAutoscalerConditionType,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): HorizontalPodAutoscalerCondition[] {
  const existing = conditions.find((c) => c.type === type);
  const next: HorizontalPodAutoscalerCondition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime: existing && existing.status === status ? existing.lastTransitionTime : now,
  };
  return existing ? conditions.map((c) => (c.type === type ? next : c)) : [...conditions, next];
}

export function conditionOf(
  conditions: readonly HorizontalPodAutoscalerCondition[] | undefined,
  type: HorizontalPodAutoscalerConditionType,
): HorizontalPodAutoscalerCondition | undefined {
  return conditions?.find((c) => c.type === type);
}
