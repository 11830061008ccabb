// ctl create token against a TLS Api server in the test (CreateToken only).
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

interface CreateTokenRequest {
  namespace: string;
  service_account: string;
  expiration_seconds: string;
}

const asked: CreateTokenRequest[] = [];
let server: TestApiServer;
let kubeconfig = '';

beforeAll(async () => {
  server = await startTestApiServer({
    CreateToken(call: ServerUnaryCall<CreateTokenRequest, unknown>, callback: sendUnaryData<unknown>) {
      asked.push(call.request);
      callback(null, { token: `token-for-${call.request.service_account}`, expiration_timestamp: '2030-01-01T00:00:00Z' });
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

async function createToken(...args: string[]): Promise<{ stdout: string; error?: string; request?: CreateTokenRequest }> {
  const before = asked.length;
  const run = await runCtlInProcess(['--kubeconfig', kubeconfig, 'create', 'token', ...args]);
  const error = (run.error === undefined ? undefined : run.error instanceof Error ? run.error.message : String(run.error));
  return { stdout: run.stdout, error, request: asked.length > before ? asked.at(-1) : undefined };
}

describe('ctl create token', () => {
  it('prints the token alone on a line, leaving the lifetime to the server by default', async () => {
    expect(await createToken('deployer')).toEqual({
      stdout: 'token-for-deployer\n',
      error: undefined,
      request: { namespace: 'default', service_account: 'deployer', expiration_seconds: '0', audiences: [] },
    });
  });

  it('asks for --duration in seconds, in the namespace given', async () => {
    expect((await createToken('sa/deployer', '-n', 'ci', '--duration', '1h30m')).request).toEqual({
      namespace: 'ci',
      service_account: 'deployer',
      expiration_seconds: '5400',
      audiences: [],
    });
  });

  it('asks for the audiences given with --audience', async () => {
    expect((await createToken('deployer', '--audience', 'vault', '--audience', 'https://ci.example')).request).toMatchObject({
      audiences: ['vault', 'https://ci.example'],
    });
  });

  it('refuses a duration that is not whole seconds, or not a duration, asking nothing', async () => {
    expect(await createToken('deployer', '--duration', '1500ms')).toEqual({
      stdout: '',
      error: 'error: --duration must be a whole number of seconds, not 1500ms',
      request: undefined,
    });
    expect((await createToken('deployer', '--duration', 'soon')).error).toMatch(/^error: --duration "soon" is not a duration;/);
  });
});
