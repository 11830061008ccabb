// batch/v1 Job and CronJob: the Kubernetes subset Skiff supports. The JSON
// Schemas in schema/job.ts are the authority on what is valid; these types
// describe a validated, defaulted object.
import type { LabelSelector, PodTemplateSpec, ResourceObject } from './types.js';

export const BATCH_API_VERSION = 'batch/v1' as const;

/** Labels Kubernetes puts on a Job's pod template (and its generated selector uses the first). */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_JOB_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** An Indexed Job's pod: its completion index (annotation and label, as Kubernetes writes both). */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The env var an Indexed Job's containers read their index from (a downward-API fieldRef on the annotation). */
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** The annotation kubectl puts on a Job created with `create job --from=cronjob/X`. */
export const CRONJOB_INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';
/** The annotation the CronJob controller puts on the Jobs it creates: the scheduled time (RFC 3339). */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export type JobCompletionMode = 'NonIndexed' | 'Indexed';

export interface JobSpec {
  /** Pods to run at once (default 1). */
  parallelism: number;
  /** Successful pods the Job needs (default: parallelism when absent, as Kubernetes: 1 for a plain Job). */
  completions?: number;
  /** Failed pods (and container restarts under OnFailure) before the Job fails (default 6). */
  backoffLimit: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  completionMode: JobCompletionMode;
  suspend?: boolean;
  manualSelector?: boolean;
  selector?: LabelSelector;
  template: PodTemplateSpec;
}

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended';

export interface JobCondition {
  type: JobConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface JobStatus {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: JobCondition[];
  /** Indexed Jobs: the indexes that succeeded, as Kubernetes writes them ("0-2,5"). */
  completedIndexes?: string;
}

export interface Job extends ResourceObject {
  apiVersion: typeof BATCH_API_VERSION;
  kind: 'Job';
  spec: JobSpec;
  status?: JobStatus;
}

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

export interface JobTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: JobSpec;
}

export interface CronJobSpec {
  schedule: string;
  /** An IANA zone name ("Europe/Berlin"); absent: the control plane's local zone (UTC here, as kube-controller-manager's). */
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy: ConcurrencyPolicy;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  jobTemplate: JobTemplateSpec;
}

export interface CronJobStatus {
  active?: { apiVersion: string; kind: 'Job'; name: string; namespace: string; uid: string }[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export interface CronJob extends ResourceObject {
  apiVersion: typeof BATCH_API_VERSION;
  kind: 'CronJob';
  spec: CronJobSpec;
  status?: CronJobStatus;
}

/** A finished Job's condition (Complete or Failed, status True), if any. */
export function jobFinishedCondition(job: { readonly status?: { readonly conditions?: readonly Readonly<JobCondition>[] | undefined } | undefined }): Readonly<JobCondition> | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** completions as the controller reads it: absent means 1 success of any pod is enough (Kubernetes: parallelism with a work queue; Skiff: 1). */
export function jobCompletions(spec: Pick<JobSpec, 'completions'>): number | undefined {
  return spec.completions;
}
