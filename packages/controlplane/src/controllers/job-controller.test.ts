// The Job controller over the in-memory store and the shared informers, on a
// controlled clock: the test plays the agent (pod phases) and calls sync(key)
// once the informers have caught up, so every step — including each back-off —
// is checked exactly.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@skiff/testkit';
import { JOB_COMPLETION_INDEX_ANNOTATION, type Job } from '@skiff/api';
import { JobController } from './job-controller.js';
import { Clock, jobManifest, JobTestCluster } from './job-test-cluster.js';

const T0 = Date.parse('2026-12-02T03:00:00Z');
let clock: Clock;
let cluster: JobTestCluster;
let controller: JobController;

beforeEach(async () => {
  clock = new Clock(T0);
  cluster = new JobTestCluster(clock, waitFor);
  controller = new JobController({ objects: cluster.objects, jobs: cluster.jobs, pods: cluster.pods, now: clock.now });
  controller.listen();
  await cluster.start();
});

afterEach(async () => {
  await controller.stop();
  await cluster.stop();
});

async function sync(name: string): Promise<Job> {
  await cluster.settle();
  await controller.sync(`default/${name}`);
  await cluster.settle();
  return cluster.job(name);
}

function condition(job: Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

describe('JobController', () => {
  it('keeps min(parallelism, remaining) pods active and completes at completions', async () => {
    await cluster.create(jobManifest('work', { completions: 3, parallelism: 2 }));
    let job = await sync('work');
    expect(await cluster.activePods('work')).toHaveLength(2);
    expect(job.status).toMatchObject({ active: 2, succeeded: 0, failed: 0, startTime: '2026-12-02T03:00:00Z' });

    const [first, second] = await cluster.activePods('work');
    await cluster.setPhase(first!, 'Running', { ready: true });
    job = await sync('work');
    expect(job.status).toMatchObject({ active: 2, ready: 1 });

    clock.advance(5_000);
    await cluster.setPhase(first!, 'Succeeded');
    job = await sync('work');
    expect(job.status).toMatchObject({ active: 2, succeeded: 1 });
    // Two remain to do, two may run: one replacement.
    expect(await cluster.podsOf('work')).toHaveLength(3);

    await cluster.setPhase(second!, 'Succeeded');
    job = await sync('work');
    // One remains: still the one active pod, no new one.
    expect(job.status).toMatchObject({ active: 1, succeeded: 2 });
    expect(await cluster.podsOf('work')).toHaveLength(3);

    clock.advance(10_000);
    const [last] = await cluster.activePods('work');
    await cluster.setPhase(last!, 'Succeeded');
    job = await sync('work');
    expect(job.status).toMatchObject({ active: 0, succeeded: 3, failed: 0, completionTime: '2026-12-02T03:00:15Z' });
    expect(condition(job, 'Complete')).toMatchObject({ reason: 'CompletionsReached' });
    // Finished pods are kept, as Kubernetes keeps them, and nothing new starts.
    job = await sync('work');
    expect(await cluster.podsOf('work')).toHaveLength(3);
  });

  it('pods carry the generated selector labels and an owner reference to the Job', async () => {
    const created = await cluster.create<Job>(jobManifest('labels'));
    await sync('labels');
    const [pod] = await cluster.podsOf('labels');
    expect(created.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid } });
    expect(pod!.metadata.labels).toMatchObject({
      'batch.kubernetes.io/controller-uid': created.metadata.uid,
      'controller-uid': created.metadata.uid,
      'batch.kubernetes.io/job-name': 'labels',
      'job-name': 'labels',
    });
    expect(pod!.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'labels', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(pod!.metadata.name).toMatch(/^labels-[a-z0-9]{5}$/);
  });

  it('replaces failed pods after 10 s, 20 s, 40 s of back-off, then fails at backoffLimit', async () => {
    await cluster.create(jobManifest('flaky', { backoffLimit: 3 }));
    await sync('flaky');
    const key = 'default/flaky';
    for (const [failure, delay] of [[1, 10_000], [2, 20_000], [3, 40_000]] as const) {
      const [pod] = await cluster.activePods('flaky');
      const failedAt = clock.ms;
      await cluster.setPhase(pod!, 'Failed');
      let job = await sync('flaky');
      expect(job.status).toMatchObject({ active: 0, failed: failure });
      expect(controller.nextWakeup(key)).toBe(failedAt + delay);
      clock.set(failedAt + delay - 1_000);
      job = await sync('flaky');
      expect(await cluster.activePods('flaky')).toHaveLength(0);
      expect(controller.nextWakeup(key)).toBe(failedAt + delay);
      clock.set(failedAt + delay);
      await sync('flaky');
      expect(await cluster.activePods('flaky')).toHaveLength(1);
      clock.advance(3_000);
    }
    const [pod] = await cluster.activePods('flaky');
    await cluster.setPhase(pod!, 'Failed');
    const job = await sync('flaky');
    expect(job.status).toMatchObject({ active: 0, failed: 4, succeeded: 0 });
    expect(condition(job, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(await cluster.podsOf('flaky')).toHaveLength(4);
  });

  it('caps the back-off at the configured maximum and uses a configurable base', async () => {
    await controller.stop();
    controller = new JobController({ objects: cluster.objects, jobs: cluster.jobs, pods: cluster.pods, now: clock.now, backoffBaseMs: 100, backoffMaxMs: 250 });
    controller.listen();
    await cluster.create(jobManifest('quick', { backoffLimit: 10 }));
    await sync('quick');
    const expected = [100, 200, 250, 250];
    for (const delay of expected) {
      const [pod] = await cluster.activePods('quick');
      const failedAt = clock.ms;
      await cluster.setPhase(pod!, 'Failed');
      await sync('quick');
      // Pod finish times are whole seconds (RFC 3339), as the agent reports them.
      expect(controller.nextWakeup('default/quick')).toBe(Math.floor(failedAt / 1000) * 1000 + delay);
      clock.advance(1_000);
      await sync('quick');
      expect(await cluster.activePods('quick')).toHaveLength(1);
    }
  });

  it('counts container restarts under OnFailure toward backoffLimit, as Kubernetes does', async () => {
    await cluster.create(jobManifest('restarts', { backoffLimit: 2 }, 'OnFailure'));
    await sync('restarts');
    const [pod] = await cluster.activePods('restarts');
    await cluster.setPhase(pod!, 'Running', { restarts: 1 });
    let job = await sync('restarts');
    expect(condition(job, 'Failed')).toBeUndefined();
    await cluster.setPhase(pod!, 'Running', { restarts: 2 });
    job = await sync('restarts');
    expect(condition(job, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(job.status?.active).toBe(0);
    // The restarting pod is deleted (it was never scheduled anywhere real: removed at once or marked).
    expect(await cluster.activePods('restarts')).toHaveLength(0);
  });

  it('fails the Job at activeDeadlineSeconds and deletes its active pods', async () => {
    await cluster.create(jobManifest('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await sync('slow');
    expect(controller.nextWakeup('default/slow')).toBe(T0 + 30_000);
    for (const pod of await cluster.activePods('slow')) await cluster.setPhase(pod, 'Running', { ready: true });
    clock.set(T0 + 29_000);
    let job = await sync('slow');
    expect(condition(job, 'Failed')).toBeUndefined();
    clock.set(T0 + 30_000);
    job = await sync('slow');
    expect(condition(job, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(job.status).toMatchObject({ active: 0, ready: 0 });
    // Running pods on a node are marked for graceful deletion; their agent removes them.
    const pods = await cluster.podsOf('slow');
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.deletionTimestamp !== undefined)).toBe(true);
    await cluster.removeTerminating();
    await sync('slow');
    expect(await cluster.podsOf('slow')).toHaveLength(0);
  });

  it('runs an Indexed Job: one pod per index with the annotation, JOB_COMPLETION_INDEX and host name, completedIndexes in status', async () => {
    await cluster.create(jobManifest('idx', { completionMode: 'Indexed', completions: 3, parallelism: 2 }));
    let job = await sync('idx');
    let pods = await cluster.activePods('idx');
    expect(pods.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort()).toEqual(['0', '1']);
    const one = pods.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] === '1')!;
    expect(one.metadata.name).toMatch(/^idx-1-[a-z0-9]{5}$/);
    expect(one.spec.hostname).toBe('idx-1');
    expect(one.metadata.labels?.[JOB_COMPLETION_INDEX_ANNOTATION]).toBe('1');
    expect(one.spec.containers[0]!.env).toContainEqual({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
    });

    await cluster.setPhase(one, 'Succeeded');
    job = await sync('idx');
    expect(job.status).toMatchObject({ succeeded: 1, completedIndexes: '1', active: 2 });
    pods = await cluster.activePods('idx');
    expect(pods.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort()).toEqual(['0', '2']);

    // A failed index is retried with the same index.
    const zero = pods.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] === '0')!;
    await cluster.setPhase(zero, 'Failed');
    await sync('idx');
    clock.advance(10_000);
    await sync('idx');
    pods = await cluster.activePods('idx');
    expect(pods.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort()).toEqual(['0', '2']);
    for (const pod of pods) await cluster.setPhase(pod, 'Succeeded');
    job = await sync('idx');
    expect(job.status).toMatchObject({ succeeded: 3, failed: 1, completedIndexes: '0-2', active: 0 });
    expect(condition(job, 'Complete')).toBeDefined();
  });

  it('deletes the Job ttlSecondsAfterFinished after it finished', async () => {
    await cluster.create(jobManifest('brief', { ttlSecondsAfterFinished: 60 }));
    await sync('brief');
    clock.advance(2_000);
    const [pod] = await cluster.activePods('brief');
    await cluster.setPhase(pod!, 'Succeeded');
    let job = await sync('brief');
    expect(condition(job, 'Complete')).toBeDefined();
    const finishedAt = Date.parse(job.status!.completionTime!);
    job = await sync('brief');
    expect(controller.nextWakeup('default/brief')).toBe(finishedAt + 60_000);
    clock.set(finishedAt + 59_000);
    await sync('brief');
    expect(await cluster.maybeJob('brief')).toBeDefined();
    clock.set(finishedAt + 60_000);
    await cluster.settle();
    await controller.sync('default/brief');
    expect(await cluster.maybeJob('brief')).toBeUndefined();
  });

  it('completes a work-queue Job (no completions) once a pod succeeded and the others finished', async () => {
    await cluster.create(jobManifest('queue', { parallelism: 2 }));
    await sync('queue');
    const [a, b] = await cluster.activePods('queue');
    await cluster.setPhase(a!, 'Succeeded');
    let job = await sync('queue');
    expect(condition(job, 'Complete')).toBeUndefined();
    expect(await cluster.podsOf('queue')).toHaveLength(2);
    await cluster.setPhase(b!, 'Succeeded');
    job = await sync('queue');
    expect(condition(job, 'Complete')).toBeDefined();
    expect(job.status).toMatchObject({ succeeded: 2, active: 0 });
  });

  it('a suspended Job runs no pods and says so', async () => {
    await cluster.create(jobManifest('paused', { suspend: true }));
    const job = await sync('paused');
    expect(await cluster.podsOf('paused')).toHaveLength(0);
    expect(condition(job, 'Suspended')).toMatchObject({ reason: 'JobSuspended' });
    expect(job.status?.startTime).toBeUndefined();
  });
});
