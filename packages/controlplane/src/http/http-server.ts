// The plain-HTTP side of the control plane: liveness, readiness and metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry as MetricsRegistry } from 'prom-client';

export interface HttpEndpoints {
  readonly metrics: MetricsRegistry;
  /** Resolves when the control plane can serve requests; rejects with the reason otherwise. */
  readonly checkReady: () => Promise<void>;
}

export interface RunningHttpServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function startHttpServer(host: string, port: number, endpoints: HttpEndpoints): Promise<RunningHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      response.writeHead(code, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return reply(200, 'ok\n');
      case '/readyz':
        endpoints.checkReady().then(
          () => reply(200, 'ok\n'),
          (error: unknown) => reply(503, `not ready: ${error instanceof Error ? error.message : String(error)}\n`),
        );
        return;
      case '/metrics':
        endpoints.metrics.metrics().then(
          (text) => reply(200, text, endpoints.metrics.contentType),
          (error: unknown) => reply(500, `metrics failed: ${String(error)}\n`),
        );
        return;
      default:
        return reply(404, 'not found: try /healthz, /readyz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
