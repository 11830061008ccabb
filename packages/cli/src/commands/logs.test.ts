// ctl logs against a TLS Api server in the test (Logs only): the flags become
// the request, the streamed data is printed as it comes.
import type { ServerWritableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCtlInProcess, startTestApiServer, type TestApiServer } from '../test-api-server.js';

interface LogsRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  tail_lines: number;
  timestamps: boolean;
  since_seconds: number;
  previous: boolean;
}

const asked: LogsRequest[] = [];
let server: TestApiServer;
let kubeconfig = '';

beforeAll(async () => {
  server = await startTestApiServer({
    Logs(call: ServerWritableStream<LogsRequest, { data: Buffer }>) {
      asked.push(call.request);
      call.write({ data: Buffer.from('first\n') });
      call.write({ data: Buffer.from('second\n') });
      call.end();
    },
  });
  kubeconfig = server.kubeconfigFile('admin');
});

afterAll(() => server.close());

async function logs(...args: string[]): Promise<{ stdout: string; error?: string; request?: LogsRequest }> {
  const before = asked.length;
  const run = await runCtlInProcess(['--kubeconfig', kubeconfig, 'logs', ...args]);
  const error = (run.error === undefined ? undefined : run.error instanceof Error ? run.error.message : String(run.error));
  return { stdout: run.stdout, error, request: asked.length > before ? asked.at(-1) : undefined };
}

describe('ctl logs', () => {
  it('prints the stream; by default all lines of the current container, without timestamps', async () => {
    expect(await logs('web')).toEqual({
      stdout: 'first\nsecond\n',
      error: undefined,
      request: {
        namespace: 'default',
        pod: 'web',
        container: '',
        follow: false,
        tail_lines: 0,
        timestamps: false,
        since_seconds: 0,
        previous: false,
      },
    });
  });

  it('passes --timestamps, --since (as seconds), --previous, --tail, -c and -f', async () => {
    const { request } = await logs('pod/web', '-c', 'side', '--timestamps', '--since', '1h5m', '--previous', '--tail', '3', '-f', '-n', 'ci');
    expect(request).toEqual({
      namespace: 'ci',
      pod: 'web',
      container: 'side',
      follow: true,
      tail_lines: 3,
      timestamps: true,
      since_seconds: 3900,
      previous: true,
    });
    expect((await logs('web', '--since', '1500ms')).request?.since_seconds).toBe(2);
  });

  it('refuses a --since that is not a duration, asking nothing', async () => {
    const result = await logs('web', '--since', 'yesterday');
    expect(result.error).toMatch(/--since "yesterday" is not a duration/);
    expect(result.request).toBeUndefined();
  });
});
