import type { CronJob, Job } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { cronJobSummary, jobSummary } from './describe-job.js';

const NOW = new Date('2026-12-02T03:10:00Z');

const job: Job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'idx', namespace: 'default' },
  spec: {
    parallelism: 2,
    completions: 3,
    backoffLimit: 6,
    completionMode: 'Indexed',
    ttlSecondsAfterFinished: 60,
    template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'busybox:1' }] } },
  },
  status: {
    active: 0,
    ready: 0,
    succeeded: 3,
    failed: 1,
    startTime: '2026-12-02T03:00:00Z',
    completionTime: '2026-12-02T03:00:45Z',
    completedIndexes: '0-2',
    conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }],
  },
};

describe('describe of Jobs and CronJobs', () => {
  it("summarises a Job as kubectl does: counts, mode, times, pod statuses, completed indexes, conditions", () => {
    const text = jobSummary(job, [], NOW).join('\n');
    expect(text).toContain('Parallelism:        2\nCompletions:        3\nCompletion Mode:    Indexed\nBackoff Limit:      6');
    expect(text).toContain('Start Time:         2026-12-02T03:00:00Z\nCompleted At:       2026-12-02T03:00:45Z\nDuration:           45s');
    expect(text).toContain('Pods Statuses:      0 Active (0 Ready) / 3 Succeeded / 1 Failed');
    expect(text).toContain('Completed Indexes:  0-2');
    expect(text).toMatch(/Complete +True +CompletionsReached +Reached expected number of succeeded pods/);
  });

  it('summarises a CronJob: schedule, zone, policy, limits, last schedule and active Jobs', () => {
    const cronJob: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'hello', namespace: 'default' },
      spec: { schedule: '*/5 * * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: job.spec } },
      status: { lastScheduleTime: '2026-12-02T03:05:00Z', active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'hello-29412185', namespace: 'default', uid: 'u' }] },
    };
    const text = cronJobSummary(cronJob, NOW).join('\n');
    expect(text).toContain('Schedule:                      */5 * * * *');
    expect(text).toContain('Time Zone:                     Europe/Berlin');
    expect(text).toContain('Concurrency Policy:            Forbid');
    expect(text).toContain('Starting Deadline Seconds:     <unset>');
    expect(text).toContain('Last Schedule Time:            2026-12-02T03:05:00Z (5m ago)');
    expect(text).toContain('Active Jobs:                   hello-29412185');
  });
});
