// The probers against real servers on this machine's loopback (a pod IP here
// is 127.0.0.1: the process a probe reaches is what counts, not the route):
// HTTP and HTTPS (a certificate nobody trusts, as kubelet skips verification),
// TCP, a grpc-js health server (grpc-health-check's, the gRPC project's), and
// exec through the process driver. The runc path, from a node's namespace to a
// pod's IP, is in test/e2e/probes-on-runc.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../credentials/test-pki.js';
import { ProcessRuntime } from '../runtime/process-runtime.js';
import { execProbe } from './exec-prober.js';
import { grpcProbe } from './grpc-prober.js';
import { httpProbe } from './http-prober.js';
import type { ProbeTarget } from './probe-outcome.js';
import { prober } from './prober.js';
import { tcpProbe } from './tcp-prober.js';

const target = (ports: ProbeTarget['ports'] = []): ProbeTarget => ({ containerId: 'c', podIP: '127.0.0.1', ports });
const portOf = (server: HttpServer | TcpServer): number => (server.address() as AddressInfo).port;
const listen = async <S extends HttpServer | TcpServer>(server: S): Promise<S> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
};
const close = (server: HttpServer | TcpServer | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

describe('httpGet', () => {
  let http: HttpServer;
  let https: HttpServer;
  let seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      const status = Number(/^\/status\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 200);
      if (req.url === '/slow') return;
      if (req.url === '/endless') {
        res.writeHead(200);
        const chunk = 'x'.repeat(4096);
        const write = (): void => {
          if (res.destroyed) return;
          res.write(chunk);
          setTimeout(write, 5);
        };
        write();
        return;
      }
      res.writeHead(status);
      res.end(`said ${String(status)}`);
    };
    http = await listen(createHttpServer(handler));
    const pki = await createTestPki();
    const cert = await pki.serving(['127.0.0.1']);
    https = await listen(createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler));
  });
  afterAll(async () => {
    http?.closeAllConnections();
    https?.closeAllConnections();
    await close(http);
    await close(https);
  });

  it('succeeds on 200–399 and fails otherwise with the status, as kubelet words it', async () => {
    const probe = (status: number) => httpProbe({ port: portOf(http), path: `/status/${String(status)}` }, target(), { timeoutMs: 1000 });
    expect((await probe(200)).ok).toBe(true);
    expect((await probe(302)).ok).toBe(true);
    expect((await probe(399)).ok).toBe(true);
    expect(await probe(400)).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 400' });
    expect(await probe(503)).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 503' });
  });

  it('sends the path, kubelet\'s User-Agent and the probe\'s headers (Host included) to a named port', async () => {
    seen = [];
    const outcome = await httpProbe(
      { port: 'web', path: '/healthz?full=1', httpHeaders: [{ name: 'X-Probe', value: 'yes' }, { name: 'Host', value: 'shop.example' }] },
      target([{ name: 'web', containerPort: portOf(http), protocol: 'TCP' }]),
      { timeoutMs: 1000 },
    );
    expect(outcome.ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/healthz?full=1');
    expect(seen[0]?.headers).toMatchObject({ 'user-agent': 'kube-probe/1.32', 'x-probe': 'yes', host: 'shop.example' });
  });

  it('decides once it read 10 KiB of a body that does not end, as kubelet reads no more', async () => {
    expect(await httpProbe({ port: portOf(http), path: '/endless' }, target(), { timeoutMs: 2000 })).toMatchObject({ ok: true });
  });

  it('speaks HTTPS without verifying the certificate', async () => {
    expect((await httpProbe({ port: portOf(https), scheme: 'HTTPS', path: '/status/204' }, target(), { timeoutMs: 2000 })).ok).toBe(true);
  });

  it('fails on a timeout, a refused connection and an unknown port name, saying which', async () => {
    expect(await httpProbe({ port: portOf(http), path: '/slow' }, target(), { timeoutMs: 200 })).toEqual({
      ok: false,
      output: `Get "http://127.0.0.1:${String(portOf(http))}/slow": timed out after 200ms`,
    });
    const closed = await listen(createTcpServer());
    const port = portOf(closed);
    await close(closed);
    const refused = await httpProbe({ port }, target(), { timeoutMs: 1000 });
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(new RegExp(`^Get "http://127\\.0\\.0\\.1:${String(port)}/": .*ECONNREFUSED`));
    expect(await httpProbe({ port: 'nope' }, target(), { timeoutMs: 1000 })).toEqual({ ok: false, output: 'couldn\'t find port "nope" among the container\'s ports' });
  });

  it('as a lifecycle hook, any answer will do', async () => {
    expect((await httpProbe({ port: portOf(http), path: '/status/500' }, target(), { timeoutMs: 1000, anyStatus: true })).ok).toBe(true);
  });
});

describe('tcpSocket', () => {
  it('succeeds when the port accepts a connection and fails when it refuses', async () => {
    const server = await listen(createTcpServer((socket) => socket.destroy()));
    const port = portOf(server);
    expect(await tcpProbe({ port }, target(), 1000)).toEqual({ ok: true, output: '' });
    expect((await tcpProbe({ port: 'db' }, target([{ name: 'db', containerPort: port, protocol: 'TCP' }]), 1000)).ok).toBe(true);
    await close(server);
    const refused = await tcpProbe({ port }, target(), 1000);
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(new RegExp(`^dial tcp 127\\.0\\.0\\.1:${String(port)}: .*ECONNREFUSED`));
  });
});

describe('grpc (grpc.health.v1.Health/Check)', () => {
  let server: Server;
  let port = 0;
  const health = new HealthImplementation({ '': 'SERVING', 'shop.Cart': 'SERVING', 'shop.Ads': 'NOT_SERVING' });

  beforeAll(async () => {
    server = new Server();
    health.addToServer(server);
    port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  });
  afterAll(() => server?.forceShutdown());

  it('is healthy when the server, or the named service, is SERVING', async () => {
    expect(await grpcProbe({ port }, target(), 2000)).toEqual({ ok: true, output: '' });
    expect(await grpcProbe({ port, service: 'shop.Cart' }, target(), 2000)).toEqual({ ok: true, output: '' });
  });

  it('fails on NOT_SERVING, an unknown service, a status change and a dead port', async () => {
    expect(await grpcProbe({ port, service: 'shop.Ads' }, target(), 2000)).toEqual({ ok: false, output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await grpcProbe({ port, service: 'shop.Nope' }, target(), 2000)).toEqual({ ok: false, output: 'error: health rpc probe failed: Health status unknown for service shop.Nope' });
    health.setStatus('shop.Cart', 'NOT_SERVING');
    expect((await grpcProbe({ port, service: 'shop.Cart' }, target(), 2000)).ok).toBe(false);
    const dead = await listen(createTcpServer());
    const deadPort = portOf(dead);
    await close(dead);
    expect((await grpcProbe({ port: deadPort }, target(), 500)).ok).toBe(false);
  });
});

describe('exec (process driver)', () => {
  let base: string;
  let runtime: ProcessRuntime;
  const id = `probe-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-probe-exec-'));
    runtime = new ProcessRuntime({ stateDir: join(base, 'state') });
    await runtime.start({ id, labels: {}, layers: [], argv: ['sleep', '600'], env: { PATH: '/usr/bin:/bin', MOOD: 'fine' }, workingDir: base, limits: {} });
  });
  afterAll(async () => {
    for (const c of (await runtime?.list()) ?? []) {
      await runtime.stop(c.id, 0).catch(() => undefined);
      await runtime.remove(c.id).catch(() => undefined);
    }
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  });

  it('exit 0 is a success; otherwise the output (or the exit code) says why', async () => {
    expect(await execProbe(runtime, id, ['sh', '-c', 'test "$MOOD" = fine && echo ok'], 2000)).toEqual({ ok: true, output: 'ok' });
    expect(await execProbe(runtime, id, ['sh', '-c', 'echo not ready >&2; exit 3'], 2000)).toEqual({ ok: false, output: 'not ready' });
    expect(await execProbe(runtime, id, ['sh', '-c', 'exit 4'], 2000)).toEqual({ ok: false, output: 'command "sh -c exit 4" exited with 4' });
  });

  it('a command past timeoutSeconds fails the run', async () => {
    const run = prober(runtime);
    expect(await run({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 1 }, { containerId: id, podIP: '127.0.0.1', ports: [] })).toEqual({
      ok: false,
      output: 'command "sleep 5" timed out after 1000ms',
    });
  });

  it('a command that cannot start is a failure, not a throw', async () => {
    const outcome = await execProbe(runtime, id, ['/no/such/probe'], 2000);
    expect(outcome.ok).toBe(false);
    expect(outcome.output).not.toBe('');
  });
});
