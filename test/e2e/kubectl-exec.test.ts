// The real kubectl's exec against the REST API's pods/exec (a WebSocket,
// v5.channel.k8s.io, relayed to the agent as ctl exec is): output and the
// exit code (the Status on channel 3), stdin with -i until it ends (v5's close
// of channel 0), stderr kept apart, -it on a real pseudo-terminal whose size
// follows a resize (channel 4), audited like ctl exec, and the RBAC check (`create pods/exec`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnTerminal, waitFor, type CtlOnTerminal, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectTtyFollowsResize, START_SIZE } from '../harness/exec-terminal.js';
import { KUBECTL, kubectl, tokenKubeconfig } from '../harness/kubectl.js';
import { useRuncCluster, waitForRunningPod } from '../harness/runc-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-exec-'));
const auditLog = join(dir, 'audit.log');
const fixture = useRuncCluster([{ name: 'node-a', cpu: '2', memory: '2Gi', pods: '10' }], ['--audit-log', auditLog]);
let cluster: LocalCluster;
const terminals: CtlOnTerminal[] = [];

const run = (args: string[], stdin?: string) => kubectl(cluster.adminKubeconfig, dir, args, stdin === undefined ? {} : { stdin });

beforeAll(async () => {
  const { cluster: started, image } = fixture();
  cluster = started;
  const applied = await cluster.ctl(['apply', '-f', '-'], {
    stdin: `apiVersion: v1
kind: Pod
metadata: { name: box }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sleep", "3600"]
`,
  });
  expect(applied.code, applied.stderr).toBe(0);
  await waitForRunningPod(cluster, 'box');
}, 120_000);

afterAll(() => {
  for (const terminal of terminals) terminal.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubectl exec', () => {
  test('prints the output and exits with the command\'s exit code', async () => {
    expect(await run(['exec', 'box', '--', 'sh', '-c', 'echo hi; exit 3'])).toMatchObject({ code: 3, stdout: 'hi\n', stderr: 'command terminated with exit code 3\n' });
    expect(await run(['exec', 'box', '--', 'sh', '-c', 'echo fine'])).toMatchObject({ code: 0, stdout: 'fine\n', stderr: '' });
  });

  test('carries megabytes both ways intact (flow control on every hop)', async () => {
    const input = Array.from({ length: 100_000 }, (_, i) => `line ${i} of the input\n`).join('');
    const piped = await kubectl(cluster.adminKubeconfig, dir, ['exec', '-i', 'box', '--', 'cat'], { stdin: input, timeoutMs: 120_000 });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.length).toBe(input.length);
    expect(piped.stdout === input).toBe(true);
    const output = await kubectl(cluster.adminKubeconfig, dir, ['exec', 'box', '--', 'sh', '-c', 'head -c 20000000 /dev/zero | tr "\\0" x'], { timeoutMs: 120_000 });
    expect(output.code, output.stderr).toBe(0);
    expect(output.stdout.length).toBe(20_000_000);
    expect(/^x+$/.test(output.stdout)).toBe(true);
  }, 240_000);

  test('stderr stays stderr', async () => {
    expect(await run(['exec', 'box', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2'])).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' });
  });

  test('-i passes stdin through until it ends', async () => {
    expect(await run(['exec', '-i', 'box', '--', 'cat'], 'hello\nfrom stdin\n')).toMatchObject({ code: 0, stdout: 'hello\nfrom stdin\n', stderr: '' });
  });

  test('a container the pod lacks is refused before the upgrade, as a Status kubectl prints', async () => {
    const result = await run(['exec', 'box', '-c', 'nope', '--', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/container .?nope.? not found/);
  });

  test('view may read logs but not exec: a Forbidden Status, as kubectl shows it; exec sessions are audited', async () => {
    const applied = await cluster.ctl(['apply', '-f', '-'], {
      stdin: 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: watcher, namespace: default }\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: watcher-views, namespace: default }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }\nsubjects: [{ kind: ServiceAccount, name: watcher, namespace: default }]\n',
    });
    expect(applied.code, applied.stderr).toBe(0);
    const issued = await cluster.ctl(['create', 'token', 'watcher']);
    expect(issued.code, issued.stderr).toBe(0);
    const watcher = tokenKubeconfig(cluster, dir, issued.stdout.trim());
    const logs = await kubectl(watcher, dir, ['logs', 'box']);
    expect(logs).toMatchObject({ code: 0, stdout: '' });
    const denied = await kubectl(watcher, dir, ['exec', 'box', '--', 'true']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Error from server \(Forbidden\): .*system:serviceaccount:default:watcher.*cannot create .*pods\/exec/);
    const execLines = () =>
      readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['method'] === 'REST GET' && line['subresource'] === 'exec');
    await waitFor(() => execLines().some((line) => line['code'] === 'PERMISSION_DENIED'), { timeoutMs: 10_000, description: "the audit line of the refused exec" });
    expect(execLines().find((line) => line['code'] === 'PERMISSION_DENIED')).toMatchObject({ user: 'system:serviceaccount:default:watcher', verb: 'create', resource: 'pods', namespace: 'default', name: 'box' });
    expect(execLines().find((line) => line['code'] === 'OK')).toMatchObject({ user: expect.any(String), verb: 'create', name: 'box' });
  });

  test('-it on a terminal: the command gets a tty of its size, which follows a resize; the exit code is kubectl\'s', async () => {
    const terminal = startOnTerminal(KUBECTL, ['exec', '-it', 'box', '--', 'sh'], START_SIZE, { KUBECONFIG: cluster.adminKubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'kube-cache') });
    terminals.push(terminal);
    await waitFor(() => terminal.output().includes('# '), { timeoutMs: 30_000, description: 'the shell prompt' });
    await expectTtyFollowsResize(terminal);
  }, 60_000);
});
