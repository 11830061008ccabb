// The workload controllers' kinds (apps/v1): Deployment, ReplicaSet and
// DaemonSet, with their specs and statuses as Kubernetes shapes them.
import type { LabelSelector, PodTemplateSpec, ResourceObject } from './types.js';

export interface DeploymentSpec {
  replicas: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: {
    type: 'RollingUpdate' | 'Recreate';
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  /** Seconds without progress before the Progressing condition turns False (ProgressDeadlineExceeded); default 600. */
  progressDeadlineSeconds?: number;
}

/** A Deployment's Available or Progressing condition, as Kubernetes writes it. */
export interface DeploymentCondition {
  type: 'Available' | 'Progressing' | 'ReplicaFailure';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  /** Bumped when a new ReplicaSet's name (its template hash) was taken by another template. */
  collisionCount?: number;
}

export interface Deployment extends ResourceObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface ReplicaSetSpec {
  replicas: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
}

export interface ReplicaSet extends ResourceObject {
  apiVersion: 'apps/v1';
  kind: 'ReplicaSet';
  spec: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

export interface DaemonSetUpdateStrategy {
  type: 'RollingUpdate' | 'OnDelete';
  /** Only with RollingUpdate; maxUnavailable defaults to 1, maxSurge to 0. */
  rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
}

export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  /** Nodes that should run the daemon pod. */
  desiredNumberScheduled: number;
  /** Nodes that run at least one daemon pod and should. */
  currentNumberScheduled: number;
  /** Nodes that run a daemon pod but should not. */
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  /** Nodes whose daemon pod runs the current template. */
  updatedNumberScheduled?: number;
  observedGeneration?: number;
}

export interface DaemonSet extends ResourceObject {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  spec: DaemonSetSpec;
  status?: DaemonSetStatus;
}
