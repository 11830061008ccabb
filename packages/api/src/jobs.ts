// What ctl and the control plane both need to know about Jobs and CronJobs:
// the selector and labels Kubernetes generates for a Job, a Job made from a
// CronJob's template, the completed-indexes notation, and kubectl's reading
// of a Job's status.
import {
  BATCH_API_VERSION,
  CRONJOB_INSTANTIATE_ANNOTATION,
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  JOB_CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  LEGACY_JOB_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
  type CronJob,
  type Job,
} from './job-types.js';
import { toTimestamp } from './pods.js';

/**
 * Kubernetes' generateSelector: unless manualSelector, a Job selects its pods
 * by its own uid (`batch.kubernetes.io/controller-uid`), and its template
 * carries that label, the legacy `controller-uid`, and the job-name labels.
 * Returns a copy; `uid` is the Job's.
 */
export function withGeneratedSelector(job: Job, uid: string): Job {
  if (job.spec.manualSelector === true) return job;
  const template = job.spec.template;
  const labels = {
    ...template.metadata?.labels,
    [JOB_CONTROLLER_UID_LABEL]: uid,
    [LEGACY_JOB_CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: job.metadata.name,
    [LEGACY_JOB_NAME_LABEL]: job.metadata.name,
  };
  return {
    ...job,
    spec: {
      ...job.spec,
      selector: { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: uid } },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
  };
}

/** The name the CronJob controller gives the Job of one scheduled time: `<cronjob>-<minutes since the epoch>`. */
export function scheduledJobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

export interface JobFromCronJobOptions {
  readonly name: string;
  /** The CronJob controller's scheduled time; absent for `ctl create job --from` (annotated instantiate: manual). */
  readonly scheduledMs?: number;
}

/** A Job from a CronJob's jobTemplate, owned by the CronJob, as the CronJob controller and `kubectl create job --from` build it. */
export function jobFromCronJob(cronJob: CronJob, options: JobFromCronJobOptions): Job {
  const template = structuredClone(cronJob.spec.jobTemplate);
  const annotations: Record<string, string> = { ...template.metadata?.annotations };
  if (options.scheduledMs === undefined) annotations[CRONJOB_INSTANTIATE_ANNOTATION] = 'manual';
  else annotations[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] = toTimestamp(new Date(options.scheduledMs));
  const job: Job = {
    apiVersion: BATCH_API_VERSION,
    kind: 'Job',
    metadata: {
      name: options.name,
      namespace: cronJob.metadata.namespace ?? 'default',
      annotations,
      ownerReferences: [
        { apiVersion: BATCH_API_VERSION, kind: 'CronJob', name: cronJob.metadata.name, uid: cronJob.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: template.spec,
  };
  if (template.metadata?.labels && Object.keys(template.metadata.labels).length > 0) job.metadata.labels = template.metadata.labels;
  return job;
}

/** Sorted distinct indexes as Kubernetes writes completedIndexes: "1,3-5,7". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The inverse of formatIndexes; malformed parts are skipped. */
export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) continue;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let i = from; i <= to; i++) out.add(i);
  }
  return out;
}

/** kubectl's STATUS column of a Job: Complete, Failed, Suspended, Terminating or Running. */
export function jobStatusText(job: Job): string {
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True');
  if (isTrue('Complete')) return 'Complete';
  if (isTrue('Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp !== undefined) return 'Terminating';
  if (isTrue('Suspended')) return 'Suspended';
  return 'Running';
}

/** kubectl's COMPLETIONS column: "2/3", or "1/1 of 3" for a work-queue Job (completions unset, parallelism > 1). */
export function jobCompletionsText(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec.parallelism ?? 1;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}
