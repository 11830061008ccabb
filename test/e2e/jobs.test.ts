// Jobs and CronJobs on a real runc agent (one host of the multi-host
// harness), through ctl:
//  - a Job whose pod fails twice completes on the third pod: the attempts are
//    counted in a file on a hostPath volume (the suite's own directory, the
//    namespace allowed by --allow-host-path-namespaces), which survives the
//    failed pods as nothing inside a pod would; the failed pods are kept;
//  - an Indexed Job's pods print JOB_COMPLETION_INDEX (the downward-API
//    fieldRef the controller adds, resolved by the agent) and their host name
//    <job>-<index>, read back with ctl logs;
//  - `ctl create job --from=cronjob/X` runs a CronJob's template at once,
//    owned by the CronJob (schedule timing is the unit tests' job, on a
//    controlled clock: a real `*/1` schedule would make this suite minutes long).
// The three run concurrently (distinct names), to keep the suite short.
// The control plane's Job back-off base is 1 s here (--job-backoff-base), so
// the two re-creations wait 1 s and 2 s instead of 10 s and 20 s.
//
// Needs root. Nothing here sends network traffic to a pod or LAN address.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CronJob, Job, Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { useBusyboxHosts } from '../harness/busybox-hosts.js';

const suite = useBusyboxHosts('jobs', {
  hosts: 1,
  agent: { cpu: '2', memory: '2Gi', pods: '20' },
  controlPlaneArgs: ['--allow-host-path-namespaces', 'default', '--job-backoff-base', '1s'],
});
const { skip, ctl } = suite;
const WAIT = { timeoutMs: 45_000, intervalMs: 250 };
let stateDir = '';

beforeAll(async () => {
  if (skip) return;
  stateDir = await mkdtemp(join(tmpdir(), 'skiff-jobs-state-'));
});

afterAll(async () => {
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

async function job(name: string): Promise<Job> {
  return JSON.parse(await ctl(['get', 'job', name, '-o', 'json'])) as Job;
}

async function podsOf(jobName: string): Promise<Pod[]> {
  const { items } = JSON.parse(await ctl(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${jobName}`, '-o', 'json'])) as { items: Pod[] };
  return items;
}

async function completed(name: string): Promise<Job> {
  return waitFor(
    async () => {
      const current = await job(name);
      if (current.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')) throw new Error(`job ${name} failed: ${JSON.stringify(current.status)}`);
      return current.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? current : undefined;
    },
    { ...WAIT, description: `job ${name} to complete` },
  );
}

describe.skipIf(skip)('Jobs on a runc agent', () => {
  test.concurrent('a Job whose pod fails twice completes on the third, after the back-off; failed pods are kept', async ({ expect }) => {
    await ctl(['apply', '-f', '-'], `apiVersion: batch/v1
kind: Job
metadata: { name: flaky }
spec:
  backoffLimit: 4
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      volumes:
      - name: state
        hostPath: { path: ${stateDir}, type: Directory }
      containers:
      - name: try
        image: ${suite.image()}
        volumeMounts: [{ name: state, mountPath: /state }]
        command: ["/bin/sh", "-c", "n=$(cat /state/attempts 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/attempts; echo attempt $n; [ $n -ge 3 ]"]
`);
    const done = await completed('flaky');
    expect(done.status).toMatchObject({ succeeded: 1, failed: 2, active: 0 });
    expect(await readFile(join(stateDir, 'attempts'), 'utf8')).toBe('3\n');
    const pods = await podsOf('flaky');
    expect(pods.map((p) => p.status?.phase).sort()).toEqual(['Failed', 'Failed', 'Succeeded']);
    const byStart = [...pods].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
    // The back-off: each replacement was created no sooner than 1 s, then 2 s, after the previous pod finished.
    for (const [i, delay] of [[1, 1_000], [2, 2_000]] as const) {
      const finished = Date.parse(byStart[i - 1]!.status?.containerStatuses?.[0]?.state.terminated?.finishedAt ?? '');
      expect(Date.parse(byStart[i]!.metadata.creationTimestamp ?? '') - finished).toBeGreaterThanOrEqual(delay - 1_000 /* whole-second timestamps */);
    }
    const last = byStart[2]!;
    expect(await ctl(['logs', last.metadata.name])).toBe('attempt 3\n');
    const described = await ctl(['describe', 'job', 'flaky']);
    expect(described).toMatch(/Pods Statuses: +0 Active \(0 Ready\) \/ 1 Succeeded \/ 2 Failed/);
    expect(described).toMatch(/Normal +SuccessfulCreate .* job-controller +Created pod: flaky-/);
    expect(described).toMatch(/Normal +Completed .* job-controller +Job completed/);
    const table = await ctl(['get', 'jobs']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(table).toMatch(/^flaky\s+Complete\s+1\/1\s+\S+\s+\S+$/m);
  });

  test.concurrent('an Indexed Job: each pod prints its JOB_COMPLETION_INDEX and host name <job>-<index>; completedIndexes 0-2', async ({ expect }) => {
    await ctl(['apply', '-f', '-'], `apiVersion: batch/v1
kind: Job
metadata: { name: idx }
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: work
        image: ${suite.image()}
        command: ["/bin/sh", "-c", "echo index=$JOB_COMPLETION_INDEX host=$(hostname)"]
`);
    const done = await completed('idx');
    expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = await podsOf('idx');
    const printed = await Promise.all(pods.map(async (pod) => (await ctl(['logs', pod.metadata.name])).trim()));
    expect(printed.sort()).toEqual(['index=0 host=idx-0', 'index=1 host=idx-1', 'index=2 host=idx-2']);
    const describe = await ctl(['describe', 'job', 'idx']);
    expect(describe).toContain('Completed Indexes:  0-2');
    expect(describe).toMatch(/Pods Statuses: +0 Active \(0 Ready\) \/ 3 Succeeded \/ 0 Failed/);
  });

  test.concurrent('ctl create job --from=cronjob/X runs the template now, owned by the CronJob; get all lists both', async ({ expect }) => {
    await ctl(['apply', '-f', '-'], `apiVersion: batch/v1
kind: CronJob
metadata: { name: yearly }
spec:
  schedule: "0 0 1 1 *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          terminationGracePeriodSeconds: 1
          containers:
          - name: hello
            image: ${suite.image()}
            command: ["/bin/sh", "-c", "echo hello from the cronjob"]
`);
    expect(await ctl(['create', 'job', 'yearly-now', '--from=cronjob/yearly'])).toBe('job.batch/yearly-now created\n');
    const done = await completed('yearly-now');
    const cronJob = JSON.parse(await ctl(['get', 'cronjob', 'yearly', '-o', 'json'])) as CronJob;
    expect(done.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(done.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'yearly', uid: cronJob.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const [pod] = await podsOf('yearly-now');
    expect(await ctl(['logs', pod!.metadata.name])).toBe('hello from the cronjob\n');
    const all = await ctl(['get', 'all']);
    expect(all).toMatch(/^cronjob\.batch\/yearly\s+0 0 1 1 \*\s+<none>\s+False\s+0\s+<none>\s+\S+$/m);
    expect(all).toMatch(/^job\.batch\/yearly-now\s+Complete\s+1\/1/m);
    expect(all.indexOf('cronjob.batch/yearly')).toBeLessThan(all.indexOf('job.batch/yearly-now'));

    // Deleting the CronJob takes its Job and the Job's pods with it (garbage collection).
    await ctl(['delete', 'cronjob', 'yearly']);
    await waitFor(async () => ((await ctl(['get', 'jobs', '-o', 'name'])).includes('yearly-now') ? undefined : true), { ...WAIT, description: 'the job collected' });
    await waitFor(async () => ((await podsOf('yearly-now')).length === 0 ? true : undefined), { ...WAIT, description: 'its pods collected' });
  });
});
