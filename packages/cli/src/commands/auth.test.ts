// ctl auth can-i against a TLS Api server in the test (CanI only): what it
// asks, what it prints, and the exit code of the real binary.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { runCtl } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuietFailure } from '../errors.js';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

interface CanIRequest {
  verb: string;
  resource: string;
  namespace: string;
  name: string;
  as_user: string;
  as_groups: string[];
}

const asked: CanIRequest[] = [];
let server: TestApiServer;
let kubeconfig = '';

beforeAll(async () => {
  server = await startTestApiServer({
    CanI(call: ServerUnaryCall<CanIRequest, unknown>, callback: sendUnaryData<unknown>) {
      asked.push(call.request);
      const allowed = call.request.verb !== 'delete';
      const denial = call.request.namespace === 'quiet' ? '' : 'no rule allows it';
      callback(null, { allowed, reason: allowed ? 'allowed by ClusterRoleBinding "admin"' : denial });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

async function canI(...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown; request?: CanIRequest }> {
  const before = asked.length;
  const run = await runCtlInProcess(['--kubeconfig', kubeconfig, 'auth', 'can-i', ...args]);
  return { stdout: run.stdout, stderr: run.stderr, error: run.error, request: asked.length > before ? asked.at(-1) : undefined };
}

describe('ctl auth can-i', () => {
  it('asks about the kind as plural.group in the namespace, and prints yes', async () => {
    const answer = await canI('create', 'deploy', '-n', 'shop');
    expect(answer).toEqual({
      stdout: 'yes\n',
      stderr: '',
      error: undefined,
      request: { verb: 'create', resource: 'deployments.apps', namespace: 'shop', name: '', as_user: '', as_groups: [] },
    });
  });

  it('prints no with the reason, as kubectl does, and fails quietly', async () => {
    const answer = await canI('delete', 'pods/web-1');
    expect(answer.stdout).toBe('no - no rule allows it\n');
    expect(answer.error).toBeInstanceOf(QuietFailure);
    expect(answer.request).toMatchObject({ resource: 'pods', name: 'web-1', namespace: 'default' });
    expect((await canI('delete', 'pods', '-n', 'quiet')).stdout).toBe('no\n');
  });

  it('prints nothing with -q', async () => {
    expect(await canI('get', 'pods', '-q')).toMatchObject({ stdout: '', stderr: '' });
    const denied = await canI('delete', 'pods', '-q');
    expect([denied.stdout, denied.error]).toEqual(['', new QuietFailure()]);
  });

  it('asks about every namespace with -A, and about none for a cluster-scoped kind', async () => {
    expect((await canI('list', 'secrets', '-A')).request).toMatchObject({ resource: 'secrets', namespace: '' });
    expect((await canI('get', 'nodes/node-a', '-n', 'shop')).request).toMatchObject({ resource: 'nodes', name: 'node-a', namespace: '' });
  });

  it('adds the subresource, resolves group-qualified names, and passes * through', async () => {
    expect((await canI('get', 'po', '--subresource', 'log')).request).toMatchObject({ resource: 'pods/log' });
    expect((await canI('update', 'deployments.apps/web', '--subresource', 'scale')).request).toMatchObject({ resource: 'deployments.apps/scale', name: 'web' });
    expect((await canI('*', '*')).request).toMatchObject({ verb: '*', resource: '*' });
  });

  it("warns, as kubectl does, about a resource it does not know, and asks anyway", async () => {
    const unknown = await canI('get', 'Gadgets');
    expect(unknown.stderr).toBe("Warning: the server doesn't have a resource type 'gadgets'\n");
    expect(unknown.request).toMatchObject({ resource: 'gadgets' });
    const wrongGroup = await canI('get', 'deployments.batch');
    expect(wrongGroup.stderr).toBe("Warning: the server doesn't have a resource type 'deployments' in group 'batch'\n");
  });

  it('asks for another user and their groups with --as and --as-group', async () => {
    const answer = await canI('get', 'pods', '--as', 'system:serviceaccount:ci:deployer', '--as-group', 'system:serviceaccounts', '--as-group', 'ci');
    expect(answer.request).toMatchObject({ as_user: 'system:serviceaccount:ci:deployer', as_groups: ['system:serviceaccounts', 'ci'] });
    const groupsAlone = await canI('get', 'pods', '--as-group', 'ci');
    expect(String(groupsAlone.error)).toBe('CliError: error: --as-group needs --as USER: groups are asked about together with a user');
    expect(groupsAlone.request).toBeUndefined();
  });

  it('exits 0 for yes and 1 for no, printing nothing else', async () => {
    expect(await runCtl(kubeconfig, ['auth', 'can-i', 'get', 'pods'])).toEqual({ code: 0, stdout: 'yes\n', stderr: '' });
    expect(await runCtl(kubeconfig, ['auth', 'can-i', 'delete', 'pods'])).toEqual({ code: 1, stdout: 'no - no rule allows it\n', stderr: '' });
  });
});
