import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryGet } from './registry-http.js';

/** A server on 127.0.0.1 that answers with `handle`, recording each request's path and Authorization header. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.url ?? ''} ${req.headers.authorization ?? '-'}`);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

let registry: Awaited<ReturnType<typeof serve>>;
let storage: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  storage = await serve((_req, res) => res.end('blob'));
  registry = await serve((req, res) => {
    if (req.url === '/same') res.writeHead(302, { location: '/there' }).end();
    else if (req.url === '/away') res.writeHead(307, { location: `${storage.origin}/blob` }).end();
    else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (req.url === '/quiet') res.writeHead(200, { 'content-type': 'text/plain' }).write('half');
    else res.writeHead(200, { 'docker-content-digest': 'sha256:x', 'set-cookie': ['a=1', 'b=2'] }).end('{"here":true}');
  });
});

afterAll(async () => {
  for (const { server } of [registry, storage]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('registryGet', () => {
  it('follows a redirect within the registry with the Authorization header, and one elsewhere without it', async () => {
    const headers = { authorization: 'Bearer secret', accept: 'application/json' };
    const same = await registryGet(`${registry.origin}/same`, { headers });
    expect(same.status).toBe(200);
    expect(same.ok).toBe(true);
    expect(await same.json()).toEqual({ here: true });
    expect(same.headers.get('Docker-Content-Digest')).toBe('sha256:x');
    expect(same.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(same.headers.get('etag')).toBeNull();

    const away = await registryGet(`${registry.origin}/away`, { headers });
    expect(await away.text()).toBe('blob');
    expect(registry.seen).toEqual(['/same Bearer secret', '/there Bearer secret', '/away Bearer secret']);
    expect(storage.seen).toEqual(['/blob -']);
  });

  it('gives up after 20 redirects, and names the errno of a connection refused', async () => {
    await expect(registryGet(`${registry.origin}/loop`)).rejects.toThrow('more than 20 redirects');
    const closed = await serve(() => undefined);
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    await expect(registryGet(`${closed.origin}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('ends a body that stalls with the abort signal’s reason', async () => {
    const controller = new AbortController();
    const response = await registryGet(`${registry.origin}/quiet`, { signal: controller.signal });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of response.body ?? []) {
        chunks.push(Buffer.from(chunk).toString());
        controller.abort(new Error('no data for a while'));
      }
    })();
    await expect(reading).rejects.toThrow('no data for a while');
    expect(chunks).toEqual(['half']);
  });
});
