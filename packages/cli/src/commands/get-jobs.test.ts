// `ctl get jobs`, `get cronjobs` and `get all` inside the process: the real
// command tree and renderers against a fake client serving fixed objects.
import type { CronJob, Job } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { ago, ctl, FakeClient, pod } from './get-test-fixture.js';

const job = (name: string, patch: Partial<Job['status']> & { completions?: number; parallelism?: number } = {}): Job => {
  const { completions, parallelism, ...status } = patch;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', creationTimestamp: ago(300) },
    spec: {
      parallelism: parallelism ?? 1,
      ...(completions === undefined ? {} : { completions }),
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: { spec: { containers: [{ name: 'pi', image: 'busybox:1' }], restartPolicy: 'Never', terminationGracePeriodSeconds: 30 } },
    },
    status,
  };
};

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'hello', namespace: 'default', creationTimestamp: ago(3600) },
  spec: {
    schedule: '*/5 * * * *',
    concurrencyPolicy: 'Allow',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: { spec: job('x').spec },
  },
  status: { lastScheduleTime: ago(120), active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'hello-1', namespace: 'default', uid: 'u' }] },
};

describe('ctl get jobs and cronjobs', () => {
  it("prints kubectl's job columns: STATUS, COMPLETIONS and DURATION", async () => {
    const client = new FakeClient({
      jobs: [
        job('done', { completions: 3, succeeded: 3, startTime: ago(200), completionTime: ago(140), conditions: [{ type: 'Complete', status: 'True' }] }),
        job('busy', { completions: 2, succeeded: 1, active: 1, startTime: ago(45) }),
        job('broke', { completions: 1, failed: 7, startTime: ago(100), conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }),
        job('queue', { parallelism: 3, startTime: ago(10) }),
      ],
    });
    expect((await ctl(client, 'jobs')).stdout).toBe(
      [
        'NAME    STATUS     COMPLETIONS   DURATION   AGE',
        'done    Complete   3/3           60s        5m',
        'busy    Running    1/2           45s        5m',
        'broke   Failed     0/1           100s       5m',
        'queue   Running    0/1 of 3      10s        5m',
        '',
      ].join('\n'),
    );
  });

  it("prints kubectl's cronjob columns", async () => {
    const client = new FakeClient({ cronjobs: [cronJob, { ...cronJob, metadata: { ...cronJob.metadata, name: 'berlin' }, spec: { ...cronJob.spec, timeZone: 'Europe/Berlin', suspend: true }, status: {} }] });
    expect((await ctl(client, 'cj')).stdout).toBe(
      [
        'NAME     SCHEDULE      TIMEZONE        SUSPEND   ACTIVE   LAST SCHEDULE   AGE',
        'hello    */5 * * * *   <none>          False     1        2m              60m',
        'berlin   */5 * * * *   Europe/Berlin   True      0        <none>          60m',
        '',
      ].join('\n'),
    );
  });
});

describe('ctl get all', () => {
  it("lists kubectl's all category, kind by kind with kind/name rows, skipping empty kinds", async () => {
    const client = new FakeClient({ pods: [pod('web-1', 'default', 'Running')], cronjobs: [cronJob], jobs: [job('hello-1', { completions: 1, active: 1, startTime: ago(5) })] });
    const { stdout, stderr } = await ctl(client, 'all');
    expect(stderr).toBe('');
    expect(stdout).toBe(
      [
        'NAME        READY   STATUS    RESTARTS   AGE',
        'pod/web-1   1/1     Running   0          90s',
        '',
        'NAME                  SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE',
        'cronjob.batch/hello   */5 * * * *   <none>     False     1        2m              60m',
        '',
        'NAME                STATUS    COMPLETIONS   DURATION   AGE',
        'job.batch/hello-1   Running   0/1           5s         5m',
        '',
      ].join('\n'),
    );
    // kubectl's order (StatefulSet is not a Skiff kind).
    expect(client.lists.map((q) => q.kind)).toEqual(['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'horizontalpodautoscalers', 'cronjobs', 'jobs']);
  });

  it('says "No resources found" once when every kind is empty', async () => {
    expect(await ctl(new FakeClient({}), 'all')).toEqual({ stdout: '', stderr: 'No resources found in default namespace.\n' });
  });
});
