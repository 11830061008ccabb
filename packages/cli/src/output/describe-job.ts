// What `ctl describe` adds for Jobs and CronJobs, after the metadata, spec and
// status every object shows, in kubectl's words: a Job's parallelism,
// completions, times and pod counts; a CronJob's schedule, policies and
// active Jobs.
import type { CronJob, Job, Pod } from '@skiff/api';
import { formatAge } from '@skiff/api';
import { jobDuration } from '@skiff/api';
import { renderTable } from './table.js';

function field(label: string, value: string, width: number): string {
  return `${`${label}:`.padEnd(width)}${value}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

export function jobSummary(job: Job, pods: readonly Pod[], now: Date): string[] {
  const { spec } = job;
  const status = job.status ?? {};
  const w = 20;
  const active = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp);
  const lines = [
    field('Parallelism', String(spec.parallelism), w),
    field('Completions', spec.completions === undefined ? '<unset>' : String(spec.completions), w),
    field('Completion Mode', spec.completionMode, w),
    field('Backoff Limit', String(spec.backoffLimit), w),
  ];
  if (spec.activeDeadlineSeconds !== undefined) lines.push(field('Active Deadline Seconds', `${spec.activeDeadlineSeconds}s`, w));
  if (spec.ttlSecondsAfterFinished !== undefined) lines.push(field('TTL After Finished', `${spec.ttlSecondsAfterFinished}s`, w));
  if (status.startTime) lines.push(field('Start Time', status.startTime, w));
  if (status.completionTime) lines.push(field('Completed At', status.completionTime, w));
  const duration = jobDuration(job, now);
  if (duration) lines.push(field('Duration', duration, w));
  lines.push(field('Pods Statuses', `${status.active ?? active.length} Active (${status.ready ?? 0} Ready) / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed`, w));
  if (spec.completionMode === 'Indexed') lines.push(field('Completed Indexes', status.completedIndexes || '<none>', w));
  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    lines.push(`Conditions:\n${indent(renderTable(['Type', 'Status', 'Reason', 'Message'], conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''])).trimEnd())}`);
  }
  return lines;
}

export function cronJobSummary(cronJob: CronJob, now: Date): string[] {
  const { spec } = cronJob;
  const status = cronJob.status ?? {};
  const w = 31;
  return [
    field('Schedule', spec.schedule, w),
    field('Time Zone', spec.timeZone ?? '<unset>', w),
    field('Concurrency Policy', spec.concurrencyPolicy, w),
    field('Suspend', spec.suspend ? 'True' : 'False', w),
    field('Successful Job History Limit', String(spec.successfulJobsHistoryLimit), w),
    field('Failed Job History Limit', String(spec.failedJobsHistoryLimit), w),
    field('Starting Deadline Seconds', spec.startingDeadlineSeconds === undefined ? '<unset>' : `${spec.startingDeadlineSeconds}s`, w),
    field('Last Schedule Time', status.lastScheduleTime ? `${status.lastScheduleTime} (${formatAge(status.lastScheduleTime, now)} ago)` : '<unset>', w),
    field('Last Successful Time', status.lastSuccessfulTime ?? '<unset>', w),
    field('Active Jobs', status.active?.length ? status.active.map((a) => a.name).join(', ') : '<none>', w),
  ];
}
