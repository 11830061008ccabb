// Init containers on a real runc agent (one host of the multi-host harness):
// they run one at a time, in order, before the app container (proved by the
// start and finish times in status.initContainerStatuses, not by timing the
// test), `ctl get pods` shows Init:N/M meanwhile, `ctl logs -c` and
// `ctl exec -c` reach them, and with restartPolicy Never a failing one fails
// the pod (Init:Error) without the app container ever starting; with Always it
// is retried (Init:CrashLoopBackOff).
//
// Needs root. Nothing here sends network traffic to a pod or LAN address.
import type { ContainerStatus, Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { useBusyboxHosts } from '../harness/busybox-hosts.js';

const suite = useBusyboxHosts('init-containers', { hosts: 1, agent: { cpu: '2', memory: '2Gi', pods: '20' } });
const { skip, ctl } = suite;
const WAIT = { timeoutMs: 90_000, intervalMs: 200 };

function podWithInits(name: string, restartPolicy: string, inits: { name: string; script: string }[], app: string): string {
  const container = (c: { name: string; script: string }): string => `    - name: ${c.name}
      image: ${suite.image()}
      command: ["/bin/sh", "-c", "${c.script}"]
`;
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  initContainers:
${inits.map(container).join('')}  containers:
${container({ name: 'app', script: app })}`;
}

async function getPod(name: string): Promise<Pod> {
  return JSON.parse(await ctl(['get', 'pod', name, '-o', 'json'])) as Pod;
}

/** The pod and its STATUS column in `ctl get pods`, from one listing, once `accept` takes them. */
async function statusWhen(name: string, description: string, accept: (status: string, pod: Pod) => boolean): Promise<{ status: string; pod: Pod }> {
  return waitFor(
    async () => {
      const table = (await ctl(['get', 'pods'])).split('\n');
      const { items } = JSON.parse(await ctl(['get', 'pods', '-o', 'json'])) as { items: Pod[] };
      const header = table[0] ?? '';
      const row = table.find((line) => line.split(/\s+/)[0] === name);
      const status = row?.slice(header.indexOf('STATUS')).split(/\s+/)[0] ?? '';
      const pod = items.find((p) => p.metadata.name === name);
      return pod && accept(status, pod) ? { status, pod } : undefined;
    },
    { ...WAIT, description: `pod ${name} ${description}` },
  );
}

const started = (s: ContainerStatus | undefined): number => Date.parse(s?.state.terminated?.startedAt ?? s?.state.running?.startedAt ?? '');
const finished = (s: ContainerStatus | undefined): number => Date.parse(s?.state.terminated?.finishedAt ?? '');

describe.skipIf(skip)('init containers on a runc agent', () => {
  test('run in order, each to exit 0, before the app container; Init:N/M meanwhile; logs and exec reach them', async () => {
    await ctl(['apply', '-f', '-'], podWithInits('ordered', 'Always', [
      { name: 'first', script: 'echo first-ran; sleep 6' },
      { name: 'second', script: 'echo second-ran; sleep 2' },
    ], 'echo app-ran; exec sleep 100000'));

    const initializing = await statusWhen('ordered', 'at Init:0/2 with first running', (status, pod) => status === 'Init:0/2' && pod.status?.initContainerStatuses?.[0]?.state.running !== undefined);
    expect(initializing.pod.status?.phase).toBe('Pending');
    expect(initializing.pod.status?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized' });
    expect(initializing.pod.status?.containerStatuses?.[0]?.state.waiting?.reason).toBe('PodInitializing');
    // exec -c into the init container while it runs.
    expect(await ctl(['exec', 'ordered', '-c', 'first', '--', 'echo', 'inside-first'])).toBe('inside-first\n');

    const running = await statusWhen('ordered', 'Running', (status, pod) => status === 'Running' && pod.status?.containerStatuses?.[0]?.state.running !== undefined);
    const [first, second] = running.pod.status?.initContainerStatuses ?? [];
    const app = running.pod.status?.containerStatuses?.[0];
    expect([first?.name, first?.state.terminated?.exitCode, second?.name, second?.state.terminated?.exitCode]).toEqual(['first', 0, 'second', 0]);
    // Order from the runtime's own clock: first ended before second began, second before the app.
    expect(finished(first)).toBeLessThanOrEqual(started(second));
    expect(finished(second)).toBeLessThanOrEqual(started(app));
    expect(running.pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(await ctl(['logs', 'ordered', '-c', 'first'])).toBe('first-ran\n');
    expect(await ctl(['logs', 'ordered', '-c', 'second'])).toBe('second-ran\n');
    await waitFor(async () => (await ctl(['logs', 'ordered'])) === 'app-ran\n', { ...WAIT, description: 'the app container’s log' });
  }, 180_000);

  test('restartPolicy Never: a failing init container fails the pod (Init:Error) and the app container never starts', async () => {
    await ctl(['apply', '-f', '-'], podWithInits('doomed', 'Never', [{ name: 'check', script: 'echo check-failed; exit 3' }], 'exec sleep 100000'));
    const failed = await statusWhen('doomed', 'Init:Error and Failed', (status, pod) => status === 'Init:Error' && pod.status?.phase === 'Failed');
    expect(failed.pod.status?.initContainerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(failed.pod.status?.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(await ctl(['logs', 'doomed', '-c', 'check'])).toBe('check-failed\n');
    // On a fresh read too: Failed, and the app container never had a container of its own.
    const later = await getPod('doomed');
    expect([later.status?.phase, later.status?.containerStatuses?.[0]?.containerID]).toEqual(['Failed', undefined]);
  }, 120_000);

  test('restartPolicy Always: a failing init container is retried with back-off (Init:CrashLoopBackOff)', async () => {
    await ctl(['apply', '-f', '-'], podWithInits('retrying', 'Always', [{ name: 'flaky', script: 'echo try; exit 1' }], 'exec sleep 100000'));
    const backingOff = await statusWhen('retrying', 'Init:CrashLoopBackOff after a restart', (status, pod) => status === 'Init:CrashLoopBackOff' && (pod.status?.initContainerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(backingOff.pod.status?.phase).toBe('Pending');
    expect(backingOff.pod.status?.initContainerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
  }, 120_000);
});
