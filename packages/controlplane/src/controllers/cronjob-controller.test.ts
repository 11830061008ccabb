// The CronJob controller over the in-memory store and the shared informers,
// on a controlled clock: it fires at the scheduled times (in the CronJob's
// time zone), queues itself for the next one, honours the concurrency
// policies, the starting deadline, the history limits and suspend.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@skiff/testkit';
import { kindInfo, toTimestamp, type CronJob, type Job } from '@skiff/api';
import { CronJobController } from './cronjob-controller.js';
import { Clock, JobTestCluster } from './job-test-cluster.js';

const JOB = kindInfo('Job');
const MINUTE = 60_000;
/** A CronJob created at 03:00:30 UTC. */
const T0 = Date.parse('2026-12-02T03:00:30Z');
let clock: Clock;
let cluster: JobTestCluster;
let controller: CronJobController;

beforeEach(async () => {
  clock = new Clock(T0);
  cluster = new JobTestCluster(clock, waitFor);
  controller = new CronJobController({ objects: cluster.objects, cronJobs: cluster.cronJobs, jobs: cluster.jobs, now: clock.now });
  controller.listen();
  await cluster.start();
});

afterEach(async () => {
  await controller.stop();
  await cluster.stop();
});

function cronJobManifest(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      ...spec,
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1', command: ['true'] }] } } },
      },
    },
  };
}

async function sync(name: string): Promise<CronJob> {
  await cluster.settle();
  await controller.sync(`default/${name}`);
  await cluster.settle();
  return cluster.cronJob(name);
}

async function finish(job: Job, type: 'Complete' | 'Failed'): Promise<void> {
  const fresh = await cluster.objects.mustGet<Job>(JOB, 'default', job.metadata.name);
  const at = toTimestamp(new Date(clock.ms));
  const status = {
    ...fresh.status,
    startTime: fresh.status?.startTime ?? toTimestamp(new Date(Date.parse(fresh.metadata.creationTimestamp!))),
    conditions: [{ type, status: 'True' as const, lastTransitionTime: at }],
    ...(type === 'Complete' ? { completionTime: at, succeeded: 1 } : { failed: 1 }),
  };
  await cluster.objects.update(JOB, { ...fresh, status }, Number(fresh.metadata.resourceVersion));
}

const minutesOf = (iso: string): number => Math.floor(Date.parse(iso) / MINUTE);

describe('CronJobController', () => {
  it('fires at each scheduled time, names the Job by its minute, and queues itself for the next time', async () => {
    await cluster.create(cronJobManifest('tick', {}));
    let cj = await sync('tick');
    expect(await cluster.jobsOf('tick')).toHaveLength(0);
    expect(controller.nextWakeup('default/tick')).toBe(Date.parse('2026-12-02T03:05:00Z'));

    clock.set(Date.parse('2026-12-02T03:04:59Z'));
    await sync('tick');
    expect(await cluster.jobsOf('tick')).toHaveLength(0);

    clock.set(Date.parse('2026-12-02T03:05:00Z'));
    cj = await sync('tick');
    const [job] = await cluster.jobsOf('tick');
    expect(job!.metadata.name).toBe(`tick-${minutesOf('2026-12-02T03:05:00Z')}`);
    expect(job!.metadata.labels).toEqual({ app: 'tick' });
    expect(job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2026-12-02T03:05:00Z');
    expect(job!.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(job!.spec.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job!.metadata.uid);
    expect(cj.status).toMatchObject({ lastScheduleTime: '2026-12-02T03:05:00Z', active: [{ kind: 'Job', name: job!.metadata.name, uid: job!.metadata.uid }] });
    expect(controller.nextWakeup('default/tick')).toBe(Date.parse('2026-12-02T03:10:00Z'));

    // Syncing again within the same minute runs nothing twice.
    clock.set(Date.parse('2026-12-02T03:05:20Z'));
    await sync('tick');
    expect(await cluster.jobsOf('tick')).toHaveLength(1);

    await finish(job!, 'Complete');
    clock.set(Date.parse('2026-12-02T03:10:00Z'));
    cj = await sync('tick');
    expect(await cluster.jobsOf('tick')).toHaveLength(2);
    expect(cj.status?.lastSuccessfulTime).toBe('2026-12-02T03:05:20Z');
    expect(cj.status?.active).toHaveLength(1);
  });

  it('Forbid skips a time while a Job runs, and starts it late once the Job finished', async () => {
    await cluster.create(cronJobManifest('solo', { concurrencyPolicy: 'Forbid' }));
    clock.set(Date.parse('2026-12-02T03:05:00Z'));
    await sync('solo');
    const [first] = await cluster.jobsOf('solo');
    clock.set(Date.parse('2026-12-02T03:10:00Z'));
    let cj = await sync('solo');
    expect(await cluster.jobsOf('solo')).toHaveLength(1);
    expect(cj.status?.lastScheduleTime).toBe('2026-12-02T03:05:00Z');
    expect(controller.nextWakeup('default/solo')).toBe(Date.parse('2026-12-02T03:15:00Z'));

    clock.set(Date.parse('2026-12-02T03:11:00Z'));
    await finish(first!, 'Complete');
    cj = await sync('solo');
    const names = (await cluster.jobsOf('solo')).map((j) => j.metadata.name);
    expect(names).toContain(`solo-${minutesOf('2026-12-02T03:10:00Z')}`);
    expect(cj.status?.lastScheduleTime).toBe('2026-12-02T03:10:00Z');
  });

  it('Replace deletes the running Job before starting the next', async () => {
    await cluster.create(cronJobManifest('fresh', { concurrencyPolicy: 'Replace' }));
    clock.set(Date.parse('2026-12-02T03:05:00Z'));
    await sync('fresh');
    clock.set(Date.parse('2026-12-02T03:10:00Z'));
    const cj = await sync('fresh');
    const jobs = await cluster.jobsOf('fresh');
    expect(jobs.map((j) => j.metadata.name)).toEqual([`fresh-${minutesOf('2026-12-02T03:10:00Z')}`]);
    expect(cj.status?.active?.map((a) => a.name)).toEqual([`fresh-${minutesOf('2026-12-02T03:10:00Z')}`]);
  });

  it('Allow runs Jobs side by side', async () => {
    await cluster.create(cronJobManifest('many', {}));
    for (const at of ['03:05:00', '03:10:00', '03:15:00']) {
      clock.set(Date.parse(`2026-12-02T${at}Z`));
      await sync('many');
    }
    const cj = await cluster.cronJob('many');
    expect(await cluster.jobsOf('many')).toHaveLength(3);
    expect(cj.status?.active).toHaveLength(3);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is not run; only the latest missed time runs', async () => {
    await cluster.create(cronJobManifest('strict', { startingDeadlineSeconds: 60 }));
    // The controller was away from 03:00:30 to 03:17:30: 03:05, 03:10, 03:15 were missed, the latest by 150 s.
    clock.set(Date.parse('2026-12-02T03:17:30Z'));
    let cj = await sync('strict');
    expect(await cluster.jobsOf('strict')).toHaveLength(0);
    expect(cj.status?.lastScheduleTime).toBeUndefined();
    clock.set(Date.parse('2026-12-02T03:20:40Z'));
    cj = await sync('strict');
    expect((await cluster.jobsOf('strict')).map((j) => j.metadata.name)).toEqual([`strict-${minutesOf('2026-12-02T03:20:00Z')}`]);

    // Without a deadline, only the most recent of the missed times runs (Kubernetes does not catch up).
    await cluster.create(cronJobManifest('lenient', {}));
    clock.set(Date.parse('2026-12-02T04:02:00Z'));
    await sync('lenient');
    expect((await cluster.jobsOf('lenient')).map((j) => j.metadata.name)).toEqual([`lenient-${minutesOf('2026-12-02T04:00:00Z')}`]);
  });

  it('warns of too many missed start times (> 100) and still runs the latest', async () => {
    const warnings: string[] = [];
    await controller.stop();
    const ignore = (): void => {};
    controller = new CronJobController({
      objects: cluster.objects,
      cronJobs: cluster.cronJobs,
      jobs: cluster.jobs,
      now: clock.now,
      log: { debug: ignore, info: ignore, error: ignore, warn: (_fields, message) => warnings.push(message) },
    });
    controller.listen();
    await cluster.create(cronJobManifest('late', { schedule: '* * * * *' }));
    clock.set(T0 + 100 * MINUTE);
    await sync('late');
    expect(warnings).toEqual([]);
    clock.set(T0 + 300 * MINUTE);
    await sync('late');
    expect(warnings).toEqual(['too many missed start times (> 100). Set or decrease .spec.startingDeadlineSeconds or check clock skew']);
    expect((await cluster.jobsOf('late')).map((j) => j.metadata.name)).toEqual([
      `late-${minutesOf(new Date(T0 + 100 * MINUTE).toISOString())}`,
      `late-${minutesOf(new Date(T0 + 300 * MINUTE).toISOString())}`,
    ]);
  });

  it('keeps successfulJobsHistoryLimit and failedJobsHistoryLimit finished Jobs, oldest deleted first', async () => {
    await cluster.create(cronJobManifest('hist', { schedule: '* * * * *', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }));
    const outcomes: ('Complete' | 'Failed')[] = ['Complete', 'Failed', 'Complete', 'Failed', 'Complete'];
    for (let i = 0; i < outcomes.length; i++) {
      clock.set(Date.parse('2026-12-02T03:01:00Z') + i * MINUTE);
      await sync('hist');
      const job = (await cluster.jobsOf('hist')).find((j) => j.metadata.name === `hist-${minutesOf(new Date(clock.ms).toISOString())}`)!;
      clock.advance(10_000);
      await finish(job, outcomes[i]!);
    }
    await sync('hist');
    const kept = (await cluster.jobsOf('hist')).map((j) => [Number(j.metadata.name.slice(5)) - minutesOf('2026-12-02T03:01:00Z'), j.status?.conditions?.[0]?.type]);
    expect(kept.sort()).toEqual([
      [2, 'Complete'],
      [3, 'Failed'],
      [4, 'Complete'],
    ]);
  });

  it('a suspended CronJob starts nothing, and does not run the times it missed once resumed beyond the deadline', async () => {
    await cluster.create(cronJobManifest('held', { suspend: true, startingDeadlineSeconds: 30 }));
    clock.set(Date.parse('2026-12-02T03:05:00Z'));
    await sync('held');
    expect(await cluster.jobsOf('held')).toHaveLength(0);
    expect(controller.nextWakeup('default/held')).toBeUndefined();
    const cj = await cluster.cronJob('held');
    await cluster.objects.update(kindInfo('CronJob'), { ...cj, spec: { ...cj.spec, suspend: false } }, Number(cj.metadata.resourceVersion));
    clock.set(Date.parse('2026-12-02T03:06:00Z'));
    await sync('held');
    expect(await cluster.jobsOf('held')).toHaveLength(0);
    expect(controller.nextWakeup('default/held')).toBe(Date.parse('2026-12-02T03:10:00Z'));
  });

  it('reads the schedule in its timeZone', async () => {
    // 09:00 in New York is 14:00 UTC in December.
    await cluster.create(cronJobManifest('ny', { schedule: '0 9 * * *', timeZone: 'America/New_York' }));
    await sync('ny');
    expect(controller.nextWakeup('default/ny')).toBe(Date.parse('2026-12-02T14:00:00Z'));
    clock.set(Date.parse('2026-12-02T14:00:00Z'));
    await sync('ny');
    expect((await cluster.jobsOf('ny')).map((j) => j.metadata.name)).toEqual([`ny-${minutesOf('2026-12-02T14:00:00Z')}`]);
    // @daily in Berlin: midnight there, 23:00 UTC.
    await cluster.create(cronJobManifest('berlin', { schedule: '@daily', timeZone: 'Europe/Berlin' }));
    await sync('berlin');
    expect(controller.nextWakeup('default/berlin')).toBe(Date.parse('2026-12-02T23:00:00Z'));
  });
});
