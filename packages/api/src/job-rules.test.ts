import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CronJob, Job } from './job-types.js';
import { formatIssue, validateManifest } from './validate.js';

const jobYaml = `
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: busybox:1
        command: ["sh", "-c", "echo 3.14"]
`;

const cronJobYaml = `
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: hello
            image: busybox:1
`;

function validate(text: string) {
  return validateManifest(parse(text) as unknown);
}

function errors(text: string): string[] {
  return validate(text).errors.map(formatIssue);
}

describe('Job validation', () => {
  it('accepts a Job and defaults it as Kubernetes does', () => {
    const result = validate(jobYaml);
    expect(result.errors).toEqual([]);
    const job = result.object as Job;
    expect(job.spec).toMatchObject({ parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed' });
  });

  it('leaves completions unset when only parallelism is given (a work-queue Job)', () => {
    const job = validate(jobYaml.replace('spec:\n  template', 'spec:\n  parallelism: 3\n  template')).object as Job;
    expect(job.spec.completions).toBeUndefined();
    expect(job.spec.parallelism).toBe(3);
  });

  it('refuses restartPolicy Always (and the default, which is Always) at the template path', () => {
    expect(errors(jobYaml.replace('restartPolicy: Never', 'restartPolicy: Always'))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
    expect(errors(jobYaml.replace('      restartPolicy: Never\n', ''))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });

  it('requires completions for an Indexed Job', () => {
    expect(errors(jobYaml.replace('spec:\n  template', 'spec:\n  completionMode: Indexed\n  parallelism: 2\n  template'))).toEqual([
      'spec.completions: Required value: when completion mode is Indexed',
    ]);
    expect(errors(jobYaml.replace('spec:\n  template', 'spec:\n  completionMode: Indexed\n  completions: 3\n  template'))).toEqual([]);
    expect(validate(jobYaml.replace('spec:\n  template', 'spec:\n  completionMode: Sequential\n  template')).errors.map((e) => e.path)).toEqual(['spec.completionMode']);
  });

  it('refuses negative counts and a zero deadline, with field paths', () => {
    const bad = jobYaml.replace('spec:\n  template', 'spec:\n  backoffLimit: -1\n  parallelism: -2\n  activeDeadlineSeconds: 0\n  ttlSecondsAfterFinished: -5\n  template');
    expect(validate(bad).errors.map((e) => e.path).sort()).toEqual(['spec.activeDeadlineSeconds', 'spec.backoffLimit', 'spec.parallelism', 'spec.ttlSecondsAfterFinished']);
  });

  it('generates the selector unless manualSelector; a manual one must match the template', () => {
    const withSelector = jobYaml.replace('spec:\n  template', 'spec:\n  selector:\n    matchLabels: { app: pi }\n  template');
    expect(validate(withSelector).errors.map((e) => e.path)).toEqual(['spec.selector']);
    const manual = withSelector.replace('spec:\n  selector', 'spec:\n  manualSelector: true\n  selector');
    expect(validate(manual).errors.map((e) => e.path)).toEqual(['spec.selector']);
    expect(errors(manual.replace('  template:\n    spec:', '  template:\n    metadata:\n      labels: { app: pi }\n    spec:'))).toEqual([]);
    expect(errors(jobYaml.replace('spec:\n  template', 'spec:\n  manualSelector: true\n  template'))).toEqual(['spec.selector: Required value: manualSelector is true']);
  });

  it('checks the pod template as a pod (a container without an image)', () => {
    expect(validate(jobYaml.replace('        image: busybox:1\n', '')).errors.map((e) => e.path)).toEqual(['spec.template.spec.containers[0].image']);
  });
});

describe('CronJob validation', () => {
  it('accepts a CronJob and defaults it as Kubernetes does', () => {
    const result = validate(cronJobYaml);
    expect(result.errors).toEqual([]);
    const cj = result.object as CronJob;
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1 });
  });

  it('accepts the macros and a time zone', () => {
    for (const schedule of ['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '0 9 * * 1-5']) {
      expect(errors(cronJobYaml.replace('"*/5 * * * *"', JSON.stringify(schedule)).replace('  jobTemplate', '  timeZone: Europe/Berlin\n  jobTemplate'))).toEqual([]);
    }
  });

  it('refuses a bad schedule, an unknown zone, TZ= in the schedule, a bad policy, with field paths', () => {
    expect(errors(cronJobYaml.replace('"*/5 * * * *"', '"61 * * * *"'))).toEqual(['spec.schedule: Invalid value: "61 * * * *": Constraint error, got value 61 expected range 0-59']);
    expect(validate(cronJobYaml.replace('"*/5 * * * *"', '"* * * *"')).errors.map((e) => e.path)).toEqual(['spec.schedule']);
    expect(validate(cronJobYaml.replace('"*/5 * * * *"', '"@every 5m"')).errors.map((e) => e.path)).toEqual(['spec.schedule']);
    expect(validate(cronJobYaml.replace('"*/5 * * * *"', '"CRON_TZ=UTC * * * * *"')).errors.map((e) => e.path)).toEqual(['spec.schedule']);
    expect(errors(cronJobYaml.replace('  jobTemplate', '  timeZone: Mars/Olympus\n  jobTemplate'))).toEqual(['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone "Mars/Olympus"']);
    expect(validate(cronJobYaml.replace('  jobTemplate', '  concurrencyPolicy: Sometimes\n  jobTemplate')).errors.map((e) => e.path)).toEqual(['spec.concurrencyPolicy']);
  });

  it("checks the job template's restartPolicy and the name's length", () => {
    expect(validate(cronJobYaml.replace('restartPolicy: OnFailure', 'restartPolicy: Always')).errors.map((e) => e.path)).toEqual(['spec.jobTemplate.spec.template.spec.restartPolicy']);
    expect(validate(cronJobYaml.replace('name: hello', `name: ${'a'.repeat(53)}`)).errors.map((e) => e.path)).toEqual(['metadata.name']);
  });
});
