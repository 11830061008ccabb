// Rules between a Job's (or a CronJob's job template's) fields that JSON
// Schema cannot state, with Kubernetes' messages: the pod template's
// restartPolicy, Indexed needs completions, the selector is generated unless
// manualSelector; and a CronJob's schedule and time zone. The pod template
// itself is checked by manifest-rules.ts like every other.
import { CronScheduleError, parseCronSchedule } from './cron-schedule.js';
import type { PathSegment } from './field-path.js';
import { isRecord, recordAt, stringAt, stringMapAt, type JsonRecord } from './json-guards.js';
import { selectorFromLabelSelector } from './labels.js';
import type { LabelSelector } from './types.js';

type Report = (segments: readonly PathSegment[], message: string) => void;

/** Kubernetes' limit on an Indexed Job's completions (and parallelism). */
export const MAX_INDEXED_COMPLETIONS = 100_000;
/** A CronJob name leaves room for "-<minutes since the epoch>" in its Jobs' names (Kubernetes: 52). */
export const MAX_CRONJOB_NAME_LENGTH = 52;

export function checkJobSpec(spec: JsonRecord | undefined, at: readonly PathSegment[], report: Report): void {
  if (!spec) return;
  const template = recordAt(spec, 'template');
  const restartPolicy = stringAt(recordAt(template, 'spec'), 'restartPolicy');
  if (restartPolicy !== undefined && restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    report([...at, 'template', 'spec', 'restartPolicy'], `Unsupported value: ${JSON.stringify(restartPolicy)}: supported values: "OnFailure", "Never"`);
  }
  if (spec['completionMode'] === 'Indexed') {
    const completions = spec['completions'];
    if (completions === undefined) report([...at, 'completions'], 'Required value: when completion mode is Indexed');
    else if (typeof completions === 'number' && completions > MAX_INDEXED_COMPLETIONS) {
      report([...at, 'completions'], `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`);
    }
    const parallelism = spec['parallelism'];
    if (typeof parallelism === 'number' && parallelism > MAX_INDEXED_COMPLETIONS) {
      report([...at, 'parallelism'], `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`);
    }
  }
  const selector = spec['selector'];
  if (spec['manualSelector'] !== true) {
    if (selector !== undefined) {
      report([...at, 'selector'], '`selector` not auto-generated: set manualSelector: true to choose your own, or leave it out (Skiff generates one from the Job\'s uid)');
    }
    return;
  }
  if (!isRecord(selector)) {
    report([...at, 'selector'], 'Required value: manualSelector is true');
    return;
  }
  let compiled;
  try {
    compiled = selectorFromLabelSelector(selector as LabelSelector);
  } catch {
    return; // the schema has reported what makes it invalid
  }
  if (compiled.isEmpty()) report([...at, 'selector'], 'must not be empty: a Job selects its pods by label (set matchLabels)');
  else if (!compiled.matches(stringMapAt(recordAt(template, 'metadata'), 'labels') ?? {})) {
    report([...at, 'selector'], 'Invalid value: `selector` does not match template `labels`');
  }
}

export function checkCronJob(doc: JsonRecord, report: Report): void {
  const name = stringAt(recordAt(doc, 'metadata'), 'name');
  if (name !== undefined && name.length > MAX_CRONJOB_NAME_LENGTH) {
    report(['metadata', 'name'], `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters (its Jobs are named <name>-<minutes since the epoch>)`);
  }
  const spec = recordAt(doc, 'spec');
  if (!spec) return;
  const schedule = stringAt(spec, 'schedule');
  const timeZone = stringAt(spec, 'timeZone');
  if (schedule !== undefined) {
    if (/^\s*(CRON_)?TZ=/.test(schedule)) {
      report(['spec', 'schedule'], `Invalid value: ${JSON.stringify(schedule)}: CRON_TZ or TZ is not supported in the schedule; use spec.timeZone`);
    } else {
      try {
        parseCronSchedule(schedule);
      } catch (error) {
        if (!(error instanceof CronScheduleError)) throw error;
        report(['spec', 'schedule'], `Invalid value: ${JSON.stringify(schedule)}: ${error.message}`);
      }
    }
  }
  if (timeZone !== undefined) {
    try {
      parseCronSchedule('* * * * *', timeZone);
    } catch (error) {
      if (!(error instanceof CronScheduleError)) throw error;
      report(['spec', 'timeZone'], `Invalid value: ${JSON.stringify(timeZone)}: ${error.message}`);
    }
  }
  checkJobSpec(recordAt(recordAt(spec, 'jobTemplate'), 'spec'), ['spec', 'jobTemplate', 'spec'], report);
}
