// The client against an in-process fake registry on 127.0.0.1: enough of the
// distribution API (manifests, blobs, redirects, bearer tokens) to drive each
// path, and to misbehave on purpose.
import { rejectionOf } from '@skiff/testkit';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Of } from './digest.js';
import { ImagePullError } from './errors.js';
import { parseImageReference } from './image-reference.js';
import { MEDIA_TYPES } from './oci.js';
import { RegistryClient } from './registry-client.js';
import { registryGet } from './registry-http.js';
import { packTar } from './tar-entries.js';

const REPO = 'team/app';
const AMD64 = { os: 'linux', architecture: 'amd64' } as const;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

// One image: a layer, its config, a manifest, and an index with an arm64 decoy.
const layer = gzipSync(await packTar([{ name: 'hello', content: 'hi\n' }]));
const config = json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [] } });
const describeBlob = (mediaType: string, bytes: Buffer): { mediaType: string; digest: string; size: number } => ({
  mediaType,
  digest: sha256Of(bytes),
  size: bytes.length,
});
const manifest = json({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: describeBlob(MEDIA_TYPES.ociConfig, config),
  layers: [describeBlob('application/vnd.oci.image.layer.v1.tar+gzip', layer)],
});
const armManifest = json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: describeBlob(MEDIA_TYPES.ociConfig, config), layers: [] });
const index = json({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociIndex,
  manifests: [
    { ...describeBlob(MEDIA_TYPES.ociManifest, armManifest), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { ...describeBlob(MEDIA_TYPES.ociManifest, manifest), platform: { os: 'linux', architecture: 'amd64' } },
  ],
});

interface FakeOptions {
  /** Require bearer tokens; with credentials, the token endpoint demands them. */
  auth?: { username: string; password: string } | 'anonymous';
  /** Serve blobs through a redirect to /storage/. */
  redirect?: boolean;
  /** Replace a blob's bytes (by digest) when served. */
  tamper?: Map<string, Buffer>;
  /** Send no Content-Length for blobs (chunked), so only the stream can tell the size. */
  chunked?: boolean;
  /** Send half of each blob and go quiet; with 'reset', the test then drops the connection (state.cutSocket). */
  cut?: 'reset' | 'stall';
}

interface Fake {
  readonly address: string;
  readonly requests: string[];
  readonly tokenRequests: URLSearchParams[];
  revokeTokens(): void;
}

let server: Server | undefined;
let options: FakeOptions = {};
const state = {
  requests: [] as string[],
  tokenRequests: [] as URLSearchParams[],
  tokens: new Set<string>(),
  issued: 0,
  cutSocket: undefined as Socket | undefined,
};

const documents = new Map<string, { type: string; bytes: Buffer }>([
  ['latest', { type: MEDIA_TYPES.ociIndex, bytes: index }],
  [sha256Of(index), { type: MEDIA_TYPES.ociIndex, bytes: index }],
  [sha256Of(manifest), { type: MEDIA_TYPES.ociManifest, bytes: manifest }],
  [sha256Of(armManifest), { type: MEDIA_TYPES.ociManifest, bytes: armManifest }],
  ['single', { type: MEDIA_TYPES.ociManifest, bytes: manifest }],
]);
const blobs = new Map<string, Buffer>([
  [sha256Of(layer), layer],
  [sha256Of(config), config],
]);

function registryError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code, message }] }));
}

function handle(req: IncomingMessage, res: ServerResponse, address: string): void {
  const url = new URL(req.url ?? '/', `http://${address}`);
  state.requests.push(`${req.method} ${url.pathname}`);
  if (url.pathname === '/token') {
    state.tokenRequests.push(url.searchParams);
    const auth = options.auth;
    if (auth && auth !== 'anonymous') {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return registryError(res, 401, 'UNAUTHORIZED', 'bad credentials');
    }
    const token = `tok-${++state.issued}`;
    state.tokens.add(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
    return;
  }
  if (url.pathname.startsWith('/storage/')) {
    const digest = url.pathname.slice('/storage/'.length);
    return sendBlob(res, digest);
  }
  if (options.auth) {
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (!bearer || !state.tokens.has(bearer)) {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${address}/token",service="fake-registry",scope="repository:${REPO}:pull,push"`,
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
  }
  const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
  if (!match || match[1] !== REPO) return registryError(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
  const [, , kind, reference = ''] = match;
  if (kind === 'manifests') {
    if (reference === 'boom') return registryError(res, 500, 'UNKNOWN', 'storage on fire');
    const document = documents.get(reference);
    if (!document) return registryError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    const bytes = options.tamper?.get(reference) ?? document.bytes;
    res.writeHead(200, { 'content-type': document.type, 'docker-content-digest': sha256Of(document.bytes) });
    res.end(bytes);
    return;
  }
  if (options.redirect) {
    res.writeHead(307, { location: `/storage/${reference}` });
    res.end();
    return;
  }
  sendBlob(res, reference);
}

function sendBlob(res: ServerResponse, digest: string): void {
  const bytes = options.tamper?.get(digest) ?? blobs.get(digest);
  if (!bytes) return registryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (!options.chunked) headers['content-length'] = String(bytes.length);
  res.writeHead(200, headers);
  if (options.cut) {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    state.cutSocket = res.socket ?? undefined;
    return;
  }
  // Two writes, so the client sees the body in more than one piece.
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  res.end(bytes.subarray(Math.floor(bytes.length / 2)));
}

let fakeAddress = '';
beforeAll(async () => {
  server = createServer((req, res) => handle(req, res, fakeAddress));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  fakeAddress = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

function fake(setup: FakeOptions = {}): Fake {
  options = setup;
  state.requests = [];
  state.tokenRequests = [];
  state.tokens.clear();
  return {
    address: fakeAddress,
    requests: state.requests,
    tokenRequests: state.tokenRequests,
    revokeTokens: () => state.tokens.clear(),
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-client-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const caught = (promise: Promise<unknown>): Promise<ImagePullError> => rejectionOf(promise, ImagePullError);

describe('RegistryClient', () => {
  it('resolves a tag through an index to the linux/amd64 manifest', async () => {
    const registry = fake();
    const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
    const resolved = await new RegistryClient({ platform: AMD64 }).resolve(ref);
    expect(resolved.topDigest).toBe(sha256Of(index));
    expect(resolved.manifestDigest).toBe(sha256Of(manifest));
    expect(resolved.documents.map((document) => document.digest)).toEqual([sha256Of(index), sha256Of(manifest)]);
    expect(resolved.manifest.layers[0]?.digest).toBe(sha256Of(layer));
    const arm = await new RegistryClient({ platform: { os: 'linux', architecture: 'arm64' } }).resolve(ref);
    expect(arm.manifestDigest).toBe(sha256Of(armManifest));
    const s390 = await caught(new RegistryClient({ platform: { os: 'linux', architecture: 's390x' } }).resolve(ref));
    expect(s390.reason).toBe('unsupported');
    expect(s390.message).toMatch(/no manifest for linux\/s390x .*available: linux\/arm64\/v8, linux\/amd64/);
  });

  it('gets a bearer token on 401 (with basic credentials), caches it per scope, and renews a refused one', async () => {
    const registry = fake({ auth: { username: 'alice', password: 's3cret' } });
    const client = new RegistryClient({
      platform: AMD64,
      credentials: (host) => (host === registry.address ? { username: 'alice', password: 's3cret' } : undefined),
    });
    const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
    await client.resolve(ref);
    const dest = join(tempDir(), 'layer');
    await client.downloadBlob(ref, describeBlob('', layer), dest);
    expect(readFileSync(dest)).toEqual(layer);
    // One token for the whole pull: the first request met the challenge, the rest reused the token.
    expect(registry.tokenRequests).toHaveLength(1);
    expect(registry.tokenRequests[0]?.get('service')).toBe('fake-registry');
    expect(registry.tokenRequests[0]?.get('scope')).toBe(`repository:${REPO}:pull,push`);
    expect(registry.requests.filter((line) => line.startsWith('GET /v2/'))).toHaveLength(4); // 401 + index + manifest + blob

    registry.revokeTokens();
    await client.fetchManifest(ref, 'latest');
    expect(registry.tokenRequests).toHaveLength(2);
  });

  it('fails as unauthorized with wrong or missing credentials', async () => {
    const registry = fake({ auth: { username: 'alice', password: 's3cret' } });
    const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
    const wrong = new RegistryClient({ credentials: () => ({ username: 'alice', password: 'nope' }) });
    const error = await caught(wrong.resolve(ref));
    expect(error.reason).toBe('unauthorized');
    expect(error.image).toBe(`${registry.address}/${REPO}:latest`);
    expect(error.message).toMatch(/token realm .* refused scope repository:team\/app:pull,push: HTTP 401 UNAUTHORIZED: bad credentials/);
    expect((await caught(new RegistryClient().resolve(ref))).reason).toBe('unauthorized');
  });

  it('follows blob redirects', async () => {
    const registry = fake({ redirect: true });
    const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
    const dest = join(tempDir(), 'layer');
    await new RegistryClient().downloadBlob(ref, describeBlob('', layer), dest);
    expect(readFileSync(dest)).toEqual(layer);
    expect(registry.requests).toEqual([`GET /v2/${REPO}/blobs/${sha256Of(layer)}`, `GET /storage/${sha256Of(layer)}`]);
  });

  it('verifies blob digests and sizes while streaming, and leaves no partial file', async () => {
    const swapped = Buffer.from(layer);
    swapped[swapped.length - 1] = (swapped[swapped.length - 1] ?? 0) ^ 0xff;
    const cases: Array<[string, FakeOptions, RegExp]> = [
      ['same size, other bytes', { tamper: new Map([[sha256Of(layer), swapped]]) }, /expected sha256:[a-f0-9]{64}, got sha256:/],
      ['longer, announced', { tamper: new Map([[sha256Of(layer), Buffer.concat([layer, Buffer.from('x')])]]) }, /registry sends \d+/],
      ['longer, chunked', { chunked: true, tamper: new Map([[sha256Of(layer), Buffer.concat([layer, Buffer.alloc(9)])]]) }, /more than the announced/],
      ['shorter, chunked', { chunked: true, tamper: new Map([[sha256Of(layer), layer.subarray(1)]]) }, /expected \d+ bytes, got \d+/],
    ];
    for (const [name, setup, message] of cases) {
      const registry = fake({ ...setup, redirect: true });
      const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
      const dir = tempDir();
      const error = await caught(new RegistryClient().downloadBlob(ref, describeBlob('', layer), join(dir, 'layer')));
      expect(error.reason, name).toBe('digest-mismatch');
      expect(error.message, name).toMatch(message);
      expect(error.message, name).toContain(`blob ${sha256Of(layer)}`);
      expect(readdirSync(dir), name).toEqual([]);
    }
    // Small blobs read into memory are held to the same rule.
    const registry = fake({ tamper: new Map([[sha256Of(config), Buffer.from(config.toString().replace('amd64', 'AMD64'))]]) });
    const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
    expect((await caught(new RegistryClient().fetchBlobBytes(ref, describeBlob('', config)))).reason).toBe('digest-mismatch');
  });

  it('fails a blob download whose connection breaks or stalls as unreachable, leaving no partial file', async () => {
    for (const cut of ['reset', 'stall'] as const) {
      const registry = fake({ cut });
      const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
      const dir = tempDir();
      const client = new RegistryClient({
        blobIdleTimeoutMs: cut === 'stall' ? 200 : 60_000,
        // Once the headers are in, the connection breaks under the body.
        fetch: async (input, init) => {
          const response = await registryGet(input, init);
          if (cut === 'reset') state.cutSocket?.destroy();
          return response;
        },
      });
      const error = await caught(client.downloadBlob(ref, describeBlob('', layer), join(dir, 'layer')));
      expect(error.reason, cut).toBe('unreachable');
      expect(error.message, cut).toMatch(cut === 'stall' ? /download interrupted: no data for 200 ms/ : /download interrupted: ECONNRESET aborted/);
      expect(readdirSync(dir), cut).toEqual([]);
    }
  });

  it('verifies manifests fetched by digest', async () => {
    const registry = fake({ tamper: new Map([[sha256Of(manifest), armManifest]]) });
    const ref = parseImageReference(`${registry.address}/${REPO}@${sha256Of(manifest)}`);
    const error = await caught(new RegistryClient().resolve(ref));
    expect(error.reason).toBe('digest-mismatch');
  });

  it('names the image and the reason for missing content, server errors and dead registries', async () => {
    const registry = fake();
    const client = new RegistryClient();
    const missingTag = await caught(client.resolve(parseImageReference(`${registry.address}/${REPO}:nope`)));
    expect(missingTag.reason).toBe('not-found');
    expect(missingTag.message).toBe(
      `failed to pull image "${registry.address}/${REPO}:nope": not found: manifest ${REPO}:nope: HTTP 404 MANIFEST_UNKNOWN: manifest unknown`,
    );
    const missingRepo = await caught(client.resolve(parseImageReference(`${registry.address}/other/app`)));
    expect(missingRepo.reason).toBe('not-found');
    expect(missingRepo.message).toMatch(/NAME_UNKNOWN/);
    const ref = parseImageReference(`${registry.address}/${REPO}:latest`);
    const missingBlob = await caught(client.downloadBlob(ref, { digest: sha256Of(Buffer.from('?')), size: 1 }, join(tempDir(), 'x')));
    expect(missingBlob.reason).toBe('not-found');
    expect((await caught(client.resolve(parseImageReference(`${registry.address}/${REPO}:boom`)))).reason).toBe('registry-error');

    // A port nobody listens on: bind one, note it, close it.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = await caught(client.resolve(parseImageReference(`127.0.0.1:${port}/${REPO}:latest`)));
    expect(dead.reason).toBe('unreachable');
    expect(dead.message).toMatch(/ECONNREFUSED/);
  });

  it('takes a plain manifest (no index) as is', async () => {
    const registry = fake();
    const resolved = await new RegistryClient().resolve(parseImageReference(`${registry.address}/${REPO}:single`));
    expect(resolved.topDigest).toBe(sha256Of(manifest));
    expect(resolved.manifestDigest).toBe(sha256Of(manifest));
  });
});
