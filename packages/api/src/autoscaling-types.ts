// autoscaling/v2 HorizontalPodAutoscaler: the subset Skiff supports (Resource
// metrics — cpu and memory — against a Deployment's or ReplicaSet's scale).
// The shapes are Kubernetes' own, so manifests written for a Kubernetes
// cluster apply unchanged.
import type { ResourceObject } from './types.js';

export const AUTOSCALING_API_VERSION = 'autoscaling/v2';

/** What an HPA scales: a kind with Skiff's scale subresource, in the HPA's namespace. */
export interface CrossVersionObjectReference {
  apiVersion?: string;
  kind: 'Deployment' | 'ReplicaSet';
  name: string;
}

export type MetricTargetType = 'Utilization' | 'AverageValue';

export interface MetricTarget {
  type: MetricTargetType;
  /** Percent of the pods' summed requests (Utilization). */
  averageUtilization?: number;
  /** A quantity per pod ("500m", "200Mi") (AverageValue). */
  averageValue?: string;
}

export type AutoscaledResource = 'cpu' | 'memory';

export interface ResourceMetricSource {
  name: AutoscaledResource;
  target: MetricTarget;
}

export interface MetricSpec {
  type: 'Resource';
  resource: ResourceMetricSource;
}

export interface HPAScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export type ScalingPolicySelect = 'Max' | 'Min' | 'Disabled';

export interface HPAScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: ScalingPolicySelect;
  policies: HPAScalingPolicy[];
}

export interface HorizontalPodAutoscalerBehavior {
  scaleUp: HPAScalingRules;
  scaleDown: HPAScalingRules;
}

export interface HorizontalPodAutoscalerSpec {
  scaleTargetRef: CrossVersionObjectReference;
  minReplicas: number;
  maxReplicas: number;
  metrics: MetricSpec[];
  behavior: HorizontalPodAutoscalerBehavior;
}

export interface MetricValueStatus {
  averageUtilization?: number;
  averageValue?: string;
}

export interface MetricStatus {
  type: 'Resource';
  resource: { name: AutoscaledResource; current: MetricValueStatus };
}

export type HorizontalPodAutoscalerConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

export interface HorizontalPodAutoscalerCondition {
  type: HorizontalPodAutoscalerConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: HorizontalPodAutoscalerCondition[];
}

export interface HorizontalPodAutoscaler extends ResourceObject {
  apiVersion: typeof AUTOSCALING_API_VERSION;
  kind: 'HorizontalPodAutoscaler';
  spec: HorizontalPodAutoscalerSpec;
  status?: HorizontalPodAutoscalerStatus;
}

/** Kubernetes' defaults (k8s.io/kubernetes pkg/apis/autoscaling/v2/defaults.go): a CPU target of 80 % when no metric is given. */
export const DEFAULT_CPU_UTILIZATION = 80;

/** Scale-up: no stabilization; at most +4 pods or +100 % per 15 s, whichever allows more. */
export function defaultScaleUpRules(): HPAScalingRules {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

/** Scale-down: the highest recommendation of the last 300 s; up to 100 % per 15 s. */
export function defaultScaleDownRules(): HPAScalingRules {
  return { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}
