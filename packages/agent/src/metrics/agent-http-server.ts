// The agent's plain-HTTP side, as the control plane's (--http-listen):
// /healthz, and /metrics for Prometheus. Loopback by default: it carries no
// secrets, but there is no reason to publish it beyond the host unless told.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface RunningAgentHttpServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function startAgentHttpServer(listen: string, metrics: Registry): Promise<RunningAgentHttpServer> {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(colon + 1));
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      response.writeHead(code, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path !== '/metrics') return reply(404, 'not found: try /healthz or /metrics\n');
    metrics.metrics().then(
      (text) => reply(200, text, metrics.contentType),
      (error: unknown) => reply(500, `metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${listen.slice(0, colon)}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
