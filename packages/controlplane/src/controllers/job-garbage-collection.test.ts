// The Job and CronJob controllers as startControllers runs them (real clock,
// workers), over the in-memory store: deleting a CronJob removes its Jobs,
// deleting a Job removes its pods — the garbage collector's CronJob→Job and
// Job→Pod edges.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobFromCronJob, kindInfo, withGeneratedSelector, type CronJob, type Event, type Job, type Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { startControllers, type RunningControllers } from './index.js';
import { Clock, jobManifest, JobTestCluster } from './job-test-cluster.js';

const POD = kindInfo('Pod');
const JOB = kindInfo('Job');
const CRONJOB = kindInfo('CronJob');
let cluster: JobTestCluster;
let controllers: RunningControllers;

beforeEach(async () => {
  cluster = new JobTestCluster(new Clock(Date.now()), waitFor);
  controllers = startControllers({ objects: cluster.objects, informers: cluster.informers });
  await cluster.start();
});

afterEach(async () => {
  await controllers.stop();
  await cluster.stop();
});

async function podsOwnedBy(uid: string): Promise<Pod[]> {
  return (await cluster.objects.list<Pod>(POD, 'default')).items.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === uid));
}

describe('Jobs and the garbage collector', () => {
  it('a Job creates its pods; deleting the Job removes them', async () => {
    const job = await cluster.create<Job>(jobManifest('gc', { completions: 2, parallelism: 2 }));
    await waitFor(async () => ((await podsOwnedBy(job.metadata.uid!)).length === 2 ? true : undefined), { timeoutMs: 10_000, description: 'job pods' });
    // The controller records Kubernetes' SuccessfulCreate events on the Job.
    await waitFor(
      async () => {
        const { items } = await cluster.objects.list<Event>(kindInfo('Event'), 'default');
        const created = items.find((e) => e.involvedObject.kind === 'Job' && e.involvedObject.name === 'gc' && e.reason === 'SuccessfulCreate');
        return created && (created.count ?? 1) === 2 && created.message.startsWith('Created pod: gc-') ? true : undefined;
      },
      { timeoutMs: 10_000, description: 'SuccessfulCreate events' },
    );
    const stored = await cluster.job('gc');
    await cluster.objects.delete(JOB, 'default', 'gc', Number(stored.metadata.resourceVersion));
    await waitFor(async () => ((await podsOwnedBy(job.metadata.uid!)).length === 0 ? true : undefined), { timeoutMs: 10_000, description: 'job pods collected' });
  });

  it("deleting a CronJob removes its Jobs (and through them their pods)", async () => {
    const cronJob = await cluster.create<CronJob>({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'default' },
      spec: {
        schedule: '0 0 1 1 *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1' }] } } } },
      },
    });
    // As `ctl create job --from=cronjob/nightly` does.
    const manual = withGeneratedSelector(jobFromCronJob(cronJob, { name: 'nightly-manual' }), 'uid-manual');
    const job = await cluster.objects.create(JOB, { ...manual, metadata: { ...manual.metadata, uid: 'uid-manual', creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } });
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    await waitFor(async () => ((await podsOwnedBy('uid-manual')).length === 1 ? true : undefined), { timeoutMs: 10_000, description: 'manual job pod' });
    await waitFor(async () => ((await cluster.cronJob('nightly')).status?.active?.length === 1 ? true : undefined), { timeoutMs: 10_000, description: 'cronjob status.active' });
    const stored = await cluster.cronJob('nightly');
    await cluster.objects.delete(CRONJOB, 'default', 'nightly', Number(stored.metadata.resourceVersion));
    await waitFor(async () => ((await cluster.maybeJob('nightly-manual')) === undefined ? true : undefined), { timeoutMs: 10_000, description: 'job collected' });
    await waitFor(async () => ((await podsOwnedBy('uid-manual')).length === 0 ? true : undefined), { timeoutMs: 10_000, description: 'pods collected' });
  });
});
