// The plain-HTTP side of the control plane: liveness, readiness and metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry as MetricsRegistry } from 'prom-client';

/**
 * One named part of readiness (Kubernetes' /readyz checks): resolves with an
 * optional detail ("standby", "leader since …") when it passes, rejects with
 * the reason when it fails. A failing check makes /readyz answer 503.
 */
export interface ReadyCheck {
  readonly name: string;
  check(): Promise<string | void>;
}

export interface HttpEndpoints {
  readonly metrics: MetricsRegistry;
  /** Every check must pass for the control plane to be ready; all are listed in /readyz's body. */
  readonly readyChecks: readonly ReadyCheck[];
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
        void readiness(endpoints.readyChecks).then(({ ready, body }) => reply(ready ? 200 : 503, body));
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

/**
 * "ok" or "not ready: <first failure>" on the first line (what a probe or a
 * human reads first), then one line per check as Kubernetes' verbose
 * /readyz prints them: "[+]name detail" or "[-]name failed: reason".
 */
export async function readiness(checks: readonly ReadyCheck[]): Promise<{ ready: boolean; body: string }> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        const detail = await check();
        return { name, ok: true, line: `[+]${name} ${detail || 'ok'}` };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { name, ok: false, reason, line: `[-]${name} failed: ${reason}` };
      }
    }),
  );
  const failed = results.find((result) => !result.ok);
  const head = failed ? `not ready: ${failed.name}: ${failed.reason ?? ''}` : 'ok';
  return { ready: failed === undefined, body: [head, ...results.map((result) => result.line)].join('\n') + '\n' };
}
