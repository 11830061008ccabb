// ctl exec end to end: ctl → the control plane's Api (authorized as create
// pods/exec, audited) → the agent over mutual TLS → runc exec in a real
// container. Without a terminal stdin and stdout are pipes; with -it ctl runs
// on a real pty (as a person would) and the command gets a pty of its own,
// whose size follows ctl's terminal. The command's exit code is ctl's; users
// without pods/exec (view) and node identities are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminKubeconfig, serializeKubeconfig, type Pod } from '@skiff/api';
import { runCtl, startCtlOnTerminal, waitFor, type CtlOnTerminal, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectTtyFollowsResize, START_SIZE } from '../harness/exec-terminal.js';
import { issueIdentity, type Identity } from '../harness/hostile-cluster.js';
import { clusterRoleBinding, user } from '../harness/hostile-objects.js';
import { useRuncCluster, waitForRunningPod } from '../harness/runc-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-exec-e2e-'));
const auditLog = join(dir, 'audit.log');
const fixture = useRuncCluster([{ name: 'node-a', cpu: '2', memory: '2Gi', pods: '10' }], ['--audit-log', auditLog]);
let cluster: LocalCluster;
let files = 0;
const terminals: CtlOnTerminal[] = [];

/** A kubeconfig for ctl with this identity. */
function kubeconfigFor(name: string, identity: Identity): string {
  const caPem = readFileSync(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
  const path = join(dir, `${++files}-${name}.kubeconfig`);
  const config = adminKubeconfig({ server: `https://${cluster.grpcAddress}`, caPem, certPem: identity.certPem, keyPem: identity.keyPem, name });
  writeFileSync(path, serializeKubeconfig(config), { mode: 0o600 });
  return path;
}

async function identityOf(commonName: string): Promise<Identity> {
  const ca = { certPem: readFileSync(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8'), keyPem: readFileSync(join(cluster.dataDir, 'pki', 'ca.key'), 'utf8') };
  return issueIdentity(ca, commonName);
}

async function apply(manifest: string): Promise<void> {
  const result = await cluster.ctl(['apply', '-f', '-'], { stdin: manifest });
  expect(result.code, result.stderr).toBe(0);
}

beforeAll(async () => {
  const { cluster: started, image } = fixture();
  cluster = started;
  await apply(`apiVersion: v1
kind: Pod
metadata: { name: box }
spec:
  terminationGracePeriodSeconds: 1
  securityContext: { runAsUser: 1000, runAsGroup: 1000 }
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sleep", "3600"]
      workingDir: /www
      env: [{ name: GREETING, value: "hello from the pod spec" }]
`);
  await waitForRunningPod(cluster, 'box');
}, 120_000);

afterAll(() => {
  for (const terminal of terminals) terminal.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('ctl exec without a terminal', () => {
  test("echoes stdin back through cat, until ctl's stdin ends", async () => {
    const result = await cluster.ctl(['exec', '-i', 'box', '--', 'cat'], { stdin: 'hello\nfrom stdin\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'hello\nfrom stdin\n', stderr: '' });
  });

  test("runs as the container's user, in its working directory, with its environment; stderr stays stderr", async () => {
    const result = await cluster.ctl(['exec', 'box', '--', 'sh', '-c', 'id -u; pwd; echo "$GREETING"; echo to-stderr >&2']);
    expect(result).toMatchObject({ code: 0, stdout: '1000\n/www\nhello from the pod spec\n', stderr: 'to-stderr\n' });
  });

  test('carries megabytes both ways intact (flow control on every hop)', async () => {
    const input = Array.from({ length: 200_000 }, (_, i) => `line ${i} of the input\n`).join('');
    const piped = await cluster.ctl(['exec', '-i', 'box', '--', 'cat'], { stdin: input, timeoutMs: 120_000 });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.length).toBe(input.length);
    expect(piped.stdout === input).toBe(true);
    const output = await cluster.ctl(['exec', 'box', '--', 'sh', '-c', 'head -c 20000000 /dev/zero | tr "\\0" x'], { timeoutMs: 120_000 });
    expect(output.code, output.stderr).toBe(0);
    expect(output.stdout.length).toBe(20_000_000);
    expect(/^x+$/.test(output.stdout)).toBe(true);
  }, 240_000);

  test("exits with the command's exit code", async () => {
    const result = await cluster.ctl(['exec', 'box', '--', 'sh', '-c', 'exit 3']);
    expect(result).toMatchObject({ code: 3, stdout: '', stderr: 'command terminated with exit code 3\n' });
  });
});

describe('ctl exec -it on a terminal', () => {
  const shell = (columns: number, rows: number): CtlOnTerminal => {
    const terminal = startCtlOnTerminal(cluster.adminKubeconfig, ['exec', '-it', 'box', '--', 'sh'], { columns, rows });
    terminals.push(terminal);
    return terminal;
  };

  test('the command has a tty of the terminal\'s size, which follows a resize', async () => {
    const terminal = shell(START_SIZE.columns, START_SIZE.rows);
    await waitFor(() => terminal.output().includes('/www $ '), { timeoutMs: 30_000, description: 'the prompt of user 1000 in /www' });
    await expectTtyFollowsResize(terminal);
  }, 60_000);
});

describe('ctl exec when ctl goes away', () => {
  test('the command is hung up: nothing stays behind in the container', async () => {
    const sleeper = startCtlOnTerminal(cluster.adminKubeconfig, ['exec', 'box', '--', 'sleep', '4242'], { columns: 80, rows: 24 });
    terminals.push(sleeper);
    const sleeping = async () => (await cluster.ctl(['exec', 'box', '--', 'ps', '-o', 'args'])).stdout.split('\n').includes('sleep 4242');
    await waitFor(sleeping, { timeoutMs: 20_000, description: 'sleep 4242 to run in the container' });
    sleeper.kill();
    await waitFor(async () => !(await sleeping()), { timeoutMs: 20_000, description: 'sleep 4242 to be gone once ctl was killed' });
  }, 60_000);
});

describe('ctl exec refusals', () => {
  test('a pod or container that does not exist, or an executable that does not, is a clear NotFound', async () => {
    expect(await cluster.ctl(['exec', 'nope', '--', 'ls'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "nope" in namespace "default" not found\n' });
    expect(await cluster.ctl(['exec', 'box', '-c', 'nosuch', '--', 'ls'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): container "nosuch" not found in pod "box"; its containers are: [main]\n',
    });
    const missing = await cluster.ctl(['exec', 'box', '--', 'no-such-command']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^Error from server \(NotFound\): cannot exec "no-such-command" in container main of pod default\/box: exec: "no-such-command": executable file not found in \$PATH/,
    );
  });

  test('a completed pod is refused as FailedPrecondition', async () => {
    const { image } = fixture();
    await apply(`apiVersion: v1
kind: Pod
metadata: { name: finished }
spec:
  restartPolicy: Never
  containers: [{ name: main, image: ${image}, command: ["/bin/true"] }]
`);
    await waitFor(
      async () => {
        const result = await cluster.ctl(['get', 'pod', 'finished', '-o', 'json']);
        return result.code === 0 && (JSON.parse(result.stdout) as Pod).status?.phase === 'Succeeded';
      },
      { timeoutMs: 60_000, intervalMs: 250, description: 'pod finished Succeeded' },
    );
    expect(await cluster.ctl(['exec', 'finished', '--', 'ls'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (Forbidden): cannot exec into a container in a completed pod; current phase is Succeeded\n',
    });
    expect((await cluster.ctl(['delete', 'pod', 'finished'])).code).toBe(0);
  }, 90_000);

  test('a user bound to view is refused (PermissionDenied); one bound to edit may; both are audited', async () => {
    await apply(JSON.stringify(clusterRoleBinding('jane-views', 'view', [user('jane')])));
    await apply(JSON.stringify(clusterRoleBinding('bob-edits', 'edit', [user('bob')])));
    const jane = kubeconfigFor('jane', await identityOf('jane'));
    const bob = kubeconfigFor('bob', await identityOf('bob'));
    await waitFor(async () => (await runCtl(bob, ['auth', 'can-i', 'create', 'pods/exec'])).stdout === 'yes\n', {
      timeoutMs: 10_000,
      description: 'bob to be allowed create pods/exec',
    });
    await waitFor(async () => (await runCtl(jane, ['auth', 'can-i', 'get', 'pods'])).stdout === 'yes\n', { timeoutMs: 10_000, description: 'jane to view pods' });
    expect(await runCtl(jane, ['exec', 'box', '--', 'echo', 'in'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (Forbidden): user "jane" cannot create pods/exec "box" in namespace "default"\n',
    });
    expect(await runCtl(bob, ['exec', 'box', '--', 'echo', 'in'])).toMatchObject({ code: 0, stdout: 'in\n' });
    const lines = () =>
      readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['method'] === 'Exec');
    await waitFor(() => lines().some((line) => line['user'] === 'bob'), { timeoutMs: 10_000, description: "the audit line of bob's exec" });
    expect(lines().find((line) => line['user'] === 'jane')).toMatchObject({
      verb: 'create',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'default',
      name: 'box',
      code: 'PERMISSION_DENIED',
    });
    expect(lines().find((line) => line['user'] === 'bob')).toMatchObject({ verb: 'create', resource: 'pods', subresource: 'exec', name: 'box', code: 'OK' });
  }, 60_000);

  test("a node's identity may not exec, not even into a pod bound to that node", async () => {
    const pki = join(cluster.agents[0]?.stateDir ?? '', 'pki');
    const node = kubeconfigFor('node', { certPem: readFileSync(join(pki, 'node.crt'), 'utf8'), keyPem: readFileSync(join(pki, 'node.key'), 'utf8') });
    const result = await runCtl(node, ['exec', 'box', '-c', 'main', '--', 'echo', 'in']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('Error from server (Forbidden): user "system:node:node-a" cannot create pods/exec "box" in namespace "default"\n');
  });
});
