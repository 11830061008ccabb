// The real kubectl 1.32 against a throwaway HTTP server on 127.0.0.1 serving
// only discovery, one object and @skiff/api's /openapi/v3 documents: kubectl
// accepts the documents (it reads fieldValidation support from them and so
// never falls back to /openapi/v2 for client-side validation), and the
// strategic merge patch its client-side apply sends, applied by applyPatch,
// gives the object kubectl meant.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch, groupVersionPath, KINDS, openApiV3, type OpenApiDocument } from '@skiff/api';
import { runCommand } from '@skiff/testkit';
import { afterEach, describe, expect, it } from 'vitest';

interface Fake {
  readonly requests: string[];
  readonly bodies: string[];
  stored: Record<string, unknown> | undefined;
}

/** What a document is served as: Skiff's own, or with a change to show the test can fail. */
type Documents = (key: string) => OpenApiDocument | undefined;

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function resourceLists(): Map<string, unknown> {
  const lists = new Map<string, { groupVersion: string; resources: unknown[] }>();
  for (const info of KINDS) {
    const path = `/${groupVersionPath(info.apiVersion)}`;
    const list = lists.get(path) ?? { groupVersion: info.apiVersion, resources: [] };
    list.resources.push({ name: info.plural, singularName: info.kind.toLowerCase(), namespaced: info.namespaced, kind: info.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'] });
    lists.set(path, list);
  }
  return new Map([...lists].map(([path, list]) => [path, { kind: 'APIResourceList', apiVersion: 'v1', ...list }]));
}

function groupList(): unknown {
  const groups = [...new Set(KINDS.map((info) => info.apiVersion).filter((version) => version.includes('/')))].map((groupVersion) => {
    const [name = '', version = ''] = groupVersion.split('/');
    return { name, versions: [{ groupVersion, version }], preferredVersion: { groupVersion, version } };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

async function startFake(fake: Fake, documents: Documents): Promise<string> {
  const lists = resourceLists();
  const { index } = openApiV3();
  const handle = (request: IncomingMessage, body: string, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://fake');
    fake.requests.push(`${request.method ?? ''} ${url.pathname}`);
    const send = (code: number, value: unknown): void => {
      response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    const notFound = (): void => send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    const document = url.pathname.startsWith('/openapi/v3/') ? documents(url.pathname.slice('/openapi/v3/'.length)) : undefined;
    if (url.pathname === '/openapi/v3') send(200, index);
    else if (document) send(200, document);
    else if (url.pathname === '/api') send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    else if (url.pathname === '/apis') send(200, groupList());
    else if (lists.has(url.pathname)) send(200, lists.get(url.pathname));
    else if (url.pathname === '/api/v1/namespaces/default/pods/web') {
      if (request.method === 'GET') {
        if (fake.stored) send(200, fake.stored);
        else notFound();
      } else if (request.method === 'PATCH') {
        fake.bodies.push(body);
        fake.stored = applyPatch(request.headers['content-type'] ?? '', fake.stored, JSON.parse(body), 'Pod');
        send(200, fake.stored);
      } else notFound();
    } else if (url.pathname === '/api/v1/namespaces/default/pods' && request.method === 'POST') {
      fake.bodies.push(body);
      fake.stored = JSON.parse(body) as Record<string, unknown>;
      send(201, fake.stored);
    } else notFound();
  };
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      try {
        handle(request, body, response);
      } catch (error) {
        response.writeHead(422, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, message: String(error) }));
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

/** Runs kubectl against `server`; `{file}` in args stands for a file holding `manifest`. */
async function kubectl(server: string, args: readonly string[], manifest = ''): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-openapi-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'pod.yaml'), manifest);
  writeFileSync(
    join(dir, 'kubeconfig'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server } }],
      users: [{ name: 'nobody', user: {} }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'nobody', namespace: 'default' } }],
      'current-context': 'fake',
    }),
  );
  // HOME in the temporary directory: kubectl's discovery and OpenAPI caches start empty and go with it.
  const result = await runCommand('kubectl', args.map((arg) => (arg === '{file}' ? join(dir, 'pod.yaml') : arg)), {
    env: { HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
    timeoutMs: 60_000,
  });
  return { code: result.code, output: result.stdout + result.stderr };
}

const podManifest = (spec: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n${spec}`;
const POD = podManifest('  containers:\n  - {name: a, image: nginx}\n  tolerations:\n  - {key: dedicated, operator: Exists}\n');
const CHANGED = podManifest('  containers:\n  - {name: b, image: redis}\n  - {name: a, image: "nginx:2"}\n');

describe('kubectl and /openapi/v3', () => {
  it('validates with --validate=strict from the v3 documents alone and leaves unknown fields to the server', async () => {
    const fake: Fake = { requests: [], bodies: [], stored: undefined };
    const server = await startFake(fake, (key) => openApiV3().documents.get(key));
    const withTypo = POD.replace('image: nginx}', 'image: nginx, bogus: 1}');
    const run = await kubectl(server, ['apply', '-f', '{file}', '--validate=strict'], withTypo);
    expect(run.output).toContain('pod/web created');
    expect(run.code).toBe(0);
    expect(fake.requests).toContain('GET /openapi/v3');
    expect(fake.requests).toContain('GET /openapi/v3/api/v1');
    expect(fake.requests).not.toContain('GET /openapi/v2');
    // kubectl found fieldValidation in the document, so the server is the one to refuse `bogus`.
    expect(fake.bodies[0]).toContain('"bogus":1');
  });

  it('falls back to /openapi/v2 when the documents do not declare fieldValidation (the check above can fail)', async () => {
    const fake: Fake = { requests: [], bodies: [], stored: undefined };
    const server = await startFake(fake, (key) => {
      const document = openApiV3().documents.get(key);
      return document && JSON.parse(JSON.stringify(document).replaceAll('"fieldValidation"', '"somethingElse"'));
    });
    const run = await kubectl(server, ['apply', '-f', '{file}', '--validate=strict'], POD);
    expect(fake.requests).toContain('GET /openapi/v2');
    expect(run.output).toMatch(/error validating data/);
    expect(run.code).not.toBe(0);
  });

  async function applyTwice(documents: Documents): Promise<{ fake: Fake; patch: { spec?: Record<string, unknown> } }> {
    const fake: Fake = { requests: [], bodies: [], stored: undefined };
    const server = await startFake(fake, documents);
    expect((await kubectl(server, ['apply', '-f', '{file}'], POD)).code).toBe(0);
    const second = await kubectl(server, ['apply', '-f', '{file}'], CHANGED);
    expect(second.output).toContain('pod/web configured');
    return { fake, patch: JSON.parse(fake.bodies[1] ?? '{}') as { spec?: Record<string, unknown> } };
  }

  it("client-side apply's strategic merge patch, applied by applyPatch, reorders, merges by name and drops removed fields", async () => {
    const { fake, patch } = await applyTwice((key) => openApiV3().documents.get(key));
    expect(patch.spec?.['$setElementOrder/containers']).toEqual([{ name: 'b' }, { name: 'a' }]);
    expect(fake.stored?.['spec']).toEqual({
      containers: [
        { name: 'b', image: 'redis' },
        { name: 'a', image: 'nginx:2' },
      ],
    });
  });

  it("takes its patch metadata from the documents' x-kubernetes-patch-strategy (without it, containers go whole)", async () => {
    const { patch } = await applyTwice((key) => {
      const document = openApiV3().documents.get(key);
      return document && JSON.parse(JSON.stringify(document).replaceAll('"x-kubernetes-patch-strategy":"merge"', '"x-kubernetes-patch-strategy":"replace"'));
    });
    expect(patch.spec).not.toHaveProperty('$setElementOrder/containers');
    expect(patch.spec?.['containers']).toEqual([
      { name: 'b', image: 'redis' },
      { name: 'a', image: 'nginx:2' },
    ]);
  });

  it('explains fields from the documents (kubectl explain reads /openapi/v3)', async () => {
    const fake: Fake = { requests: [], bodies: [], stored: undefined };
    const server = await startFake(fake, (key) => openApiV3().documents.get(key));
    const run = await kubectl(server, ['explain', 'deployments.spec.strategy']);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/GROUP:\s+apps/);
    expect(run.output).toMatch(/type\s+<string>\s+enum: RollingUpdate, Recreate/);
    expect(fake.requests).toContain('GET /openapi/v3/apis/apps/v1');
  });
});
