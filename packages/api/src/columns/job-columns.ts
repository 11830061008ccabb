// kubectl's columns for Jobs and CronJobs (its current printers:
// NAME STATUS COMPLETIONS DURATION AGE, and
// NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE).
import { type CronJob, type Job, type LabelSelector, type ResourceObject } from '../core.js';
import { jobCompletionsText, jobStatusText } from '../jobs.js';
import { formatAge } from '../age.js';
import { labelSelectorText } from './label-selector-text.js';

interface Column {
  readonly header: string;
  readonly wide?: boolean;
  readonly value: (object: ResourceObject, now: Date) => string;
}

const age: Column = { header: 'AGE', value: (o, now) => formatAge(o.metadata.creationTimestamp, now) };
const name: Column = { header: 'NAME', value: (o) => o.metadata.name };

/** kubectl: completionTime − startTime, or now − startTime while it runs; empty before it started. */
export function jobDuration(job: Job, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return formatAge(start, end ? new Date(end) : now);
}

function selectorText(selector: LabelSelector | undefined): string {
  return selector ? labelSelectorText(selector) : '<none>';
}

export const JOB_COLUMNS: readonly Column[] = [
  name,
  { header: 'STATUS', value: (o) => jobStatusText(o as Job) },
  { header: 'COMPLETIONS', value: (o) => jobCompletionsText(o as Job) },
  { header: 'DURATION', value: (o, now) => jobDuration(o as Job, now) },
  age,
  { header: 'CONTAINERS', wide: true, value: (o) => (o as Job).spec.template.spec.containers.map((c) => c.name).join(',') },
  { header: 'IMAGES', wide: true, value: (o) => (o as Job).spec.template.spec.containers.map((c) => c.image).join(',') },
  { header: 'SELECTOR', wide: true, value: (o) => selectorText((o as Job).spec.selector) },
];

export const CRONJOB_COLUMNS: readonly Column[] = [
  name,
  { header: 'SCHEDULE', value: (o) => (o as CronJob).spec.schedule },
  { header: 'TIMEZONE', value: (o) => (o as CronJob).spec.timeZone ?? '<none>' },
  { header: 'SUSPEND', value: (o) => ((o as CronJob).spec.suspend ? 'True' : 'False') },
  { header: 'ACTIVE', value: (o) => String((o as CronJob).status?.active?.length ?? 0) },
  {
    header: 'LAST SCHEDULE',
    value: (o, now) => {
      const last = (o as CronJob).status?.lastScheduleTime;
      return last ? formatAge(last, now) : '<none>';
    },
  },
  age,
  { header: 'CONTAINERS', wide: true, value: (o) => (o as CronJob).spec.jobTemplate.spec.template.spec.containers.map((c) => c.name).join(',') },
  { header: 'IMAGES', wide: true, value: (o) => (o as CronJob).spec.jobTemplate.spec.template.spec.containers.map((c) => c.image).join(',') },
  { header: 'SELECTOR', wide: true, value: (o) => selectorText((o as CronJob).spec.jobTemplate.spec.selector) },
];
