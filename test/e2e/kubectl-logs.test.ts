// The real kubectl's logs against the REST API's pods/log (relayed to the
// agent as ctl logs is): the whole log, --tail, -f that ends when the
// container exits and -f that ends when kubectl is killed, --previous of a
// restarted container, a missing container as a Status, and the RBAC check
// (`get pods/log`: view may, a user without it is refused).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { waitFor, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, kubectl, restRequest } from '../harness/kubectl.js';
import { useRuncCluster } from '../harness/runc-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-logs-'));
const fixture = useRuncCluster([{ name: 'node-a', cpu: '2', memory: '2Gi', pods: '10' }]);
let cluster: LocalCluster;
const WAIT = { timeoutMs: 90_000, intervalMs: 250 };

const run = (args: string[]) => kubectl(cluster.adminKubeconfig, dir, args);

async function podOf(name: string): Promise<Pod | undefined> {
  const result = await cluster.ctl(['get', 'pod', name, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Pod) : undefined;
}

const pod = (name: string, restartPolicy: string, script: string, image: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
`;

beforeAll(async () => {
  const { cluster: started, image } = fixture();
  cluster = started;
  const manifests = [
    pod('talker', 'Always', 'for i in 1 2 3 4 5; do echo line-$i; done; exec sleep 3600', image),
    pod('counter', 'Never', 'sleep 2; for i in 1 2 3; do echo count-$i; sleep 1; done', image),
    pod('crasher', 'Always', 'echo run-at-$(date +%s); sleep 1; exit 1', image),
  ];
  const applied = await cluster.ctl(['apply', '-f', '-'], { stdin: manifests.join('---\n') });
  expect(applied.code, applied.stderr).toBe(0);
  await waitFor(async () => (await podOf('talker'))?.status?.phase === 'Running', { ...WAIT, description: 'pod talker Running' });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubectl logs', () => {
  test('prints the whole log, and the last lines with --tail', async () => {
    const whole = await waitFor(async () => { const r = await run(['logs', 'talker']); return r.stdout.includes('line-5') ? r : undefined; }, { ...WAIT, description: 'the log of talker' });
    expect(whole).toMatchObject({ code: 0, stdout: 'line-1\nline-2\nline-3\nline-4\nline-5\n', stderr: '' });
    expect(await run(['logs', 'talker', '--tail', '2'])).toMatchObject({ code: 0, stdout: 'line-4\nline-5\n' });
    expect(await run(['logs', 'pod/talker', '-c', 'main', '--timestamps', '--tail', '1'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d{4}-\d\d-\d\dT\S+ line-5\n$/) });
  });

  test('-f follows until the container exits', async () => {
    await waitFor(async () => (await podOf('counter'))?.status?.phase === 'Running', { ...WAIT, description: 'pod counter Running' });
    const followed = await kubectl(cluster.adminKubeconfig, dir, ['logs', '-f', 'counter'], { timeoutMs: 60_000 });
    expect(followed).toMatchObject({ code: 0, stdout: 'count-1\ncount-2\ncount-3\n' });
  }, 90_000);

  test('-f on a running container ends when kubectl is killed', async () => {
    const child = spawn(KUBECTL, ['logs', '-f', 'talker'], { env: { ...process.env, KUBECONFIG: cluster.adminKubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'kube-cache') } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
    try {
      await waitFor(() => out.includes('line-5'), { timeoutMs: 30_000, description: 'the followed log' });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(true);
    // The server let go of the stream: logs still answer.
    expect((await run(['logs', 'talker', '--tail', '1'])).stdout).toBe('line-5\n');
  });

  test('--previous shows the log of the container before its restart', async () => {
    await waitFor(async () => ((await podOf('crasher'))?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, { ...WAIT, description: 'crasher restarted' });
    const previous = await waitFor(async () => { const r = await run(['logs', 'crasher', '--previous']); return r.code === 0 && r.stdout !== '' ? r : undefined; }, { ...WAIT, description: 'the previous log' });
    expect(previous.stdout).toMatch(/^run-at-\d+\n$/);
  }, 120_000);

  test('a container the pod lacks is a 400 Status (kubectl checks that itself first)', async () => {
    const answer = await restRequest(cluster, 'GET', '/api/v1/namespaces/default/pods/talker/log?container=nope');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: expect.stringContaining('container nope is not valid for pod talker') });
    const badNumber = await restRequest(cluster, 'GET', '/api/v1/namespaces/default/pods/talker/log?tailLines=many');
    expect(badNumber.status).toBe(400);
    expect(JSON.parse(badNumber.text)).toMatchObject({ message: 'tailLines=many: expected a whole number of at least 0' });
  });

  test('a pod that does not exist is NotFound', async () => {
    const result = await run(['logs', 'ghost']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\(NotFound\): pods "ghost"/);
  });
});
