// ctl create job against a TLS Api server in the test: --from=cronjob/X
// instantiates the jobTemplate as kubectl does (annotation, owner reference),
// --image makes a one-container Job, an existing name is refused.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { CronJob, Job } from '@skiff/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'default', uid: 'cj-uid' },
  spec: {
    schedule: '0 3 * * *',
    concurrencyPolicy: 'Forbid',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      metadata: { labels: { app: 'backup' }, annotations: { team: 'ops' } },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: 2,
        completionMode: 'NonIndexed',
        template: { spec: { restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 30, containers: [{ name: 'backup', image: 'busybox:1' }] } },
      },
    },
  },
};

const applied: Job[] = [];
let existingJobs: string[] = [];
let server: TestApiServer;
let kubeconfig = '';

beforeAll(async () => {
  server = await startTestApiServer({
    Get(call: ServerUnaryCall<{ ref: { kind: string; name: string } }, unknown>, callback: sendUnaryData<unknown>) {
      const { kind, name } = call.request.ref;
      if (kind === 'cronjobs' && name === 'nightly') callback(null, { object_json: JSON.stringify(cronJob) });
      else if (kind === 'jobs' && existingJobs.includes(name)) callback(null, { object_json: JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name } }) });
      else callback({ code: status.NOT_FOUND, details: `${kind} "${name}" not found` });
    },
    Apply(call: ServerUnaryCall<{ manifest_json: string }, unknown>, callback: sendUnaryData<unknown>) {
      const job = JSON.parse(call.request.manifest_json) as Job;
      applied.push(job);
      callback(null, { outcome: 'created', object_json: call.request.manifest_json, warnings: [] });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

beforeEach(() => {
  applied.length = 0;
  existingJobs = [];
});

const ctl = (...args: string[]) => runCtlInProcess(['--kubeconfig', kubeconfig, 'create', 'job', ...args]);

describe('ctl create job', () => {
  it('--from=cronjob/X instantiates its jobTemplate, annotated manual and owned by the CronJob', async () => {
    expect(await ctl('backup-now', '--from=cronjob/nightly')).toEqual({ stdout: 'job.batch/backup-now created\n', stderr: '' });
    expect(applied).toHaveLength(1);
    const job = applied[0]!;
    expect(job.metadata).toEqual({
      name: 'backup-now',
      namespace: 'default',
      labels: { app: 'backup' },
      annotations: { team: 'ops', 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(job.spec).toEqual(cronJob.spec.jobTemplate.spec);
  });

  it('--image makes a one-container Job that never restarts', async () => {
    await ctl('once', '--image', 'busybox:1', '--', 'sh', '-c', 'echo hi');
    expect(applied[0]?.spec.template.spec).toEqual({ restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox:1', command: ['sh', '-c', 'echo hi'] }] });
  });

  it('refuses an existing name, an unknown CronJob, and neither or both of --from and --image', async () => {
    existingJobs = ['taken'];
    expect(String((await ctl('taken', '--from=cronjob/nightly')).error)).toContain('(AlreadyExists): jobs.batch "taken" already exists');
    expect(String((await ctl('x', '--from=cronjob/missing')).error)).toContain('not found');
    expect(String((await ctl('x', '--from=deployment/web')).error)).toContain('from must be an existing cronjob');
    expect(String((await ctl('x')).error)).toContain('either --from or --image must be specified');
    expect(String((await ctl('x', '--from=cronjob/nightly', '--image', 'a')).error)).toContain('either --from or --image must be specified');
    expect(applied).toEqual([]);
  });
});
