// Fuzzing the front door: thousands of mutated manifests (test/chaos/manifest-fuzzer.ts,
// fixed seeds, so every run sends the same documents) through validation alone,
// then straight at a real control plane, then malformed gRPC and TCP traffic.
// The invariants are in the test names; a failure groups what broke by kind,
// each with its count and earliest document index, so
// `generateManifests(seed, count)[index]` replays it.
import { connect } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { formatIssue, MAX_NESTING_DEPTH, validateManifest, type FieldIssue, type ValidationResult } from '@skiff/api';
import { ServerError } from '@skiff/cli';
import { waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';
import { Rng, deepValue, generateManifests } from './manifest-fuzzer.js';

const fixture = useCluster();

const VALIDATION_SEED = 20_240_601;
const API_SEED = 7_340_033;
const COUNT = 10_000;
/** Applies in flight: enough to interleave writers, few enough that a 2-core CI box keeps its deadlines. */
const API_CONCURRENCY = 8;
/**
 * Documents larger than this go through validation but not the API pass: the
 * 1 MiB boundary has tests of its own, and thousands of revisions of
 * near-megabyte values only measure etcd's disk, not Skiff's input handling.
 */
const API_MAX_DOCUMENT_BYTES = 256 * 1024;

/** `spec.containers[0].image`, `metadata.labels["app.kubernetes.io/name"]`, `data["a.b"]`, `[""]`. */
const JSON_KEY = String.raw`\["(?:[^"\\]|\\.)*"\]`;
const FIELD_PATH = new RegExp(String.raw`^(?:[A-Za-z_$][\w$]*|${JSON_KEY})(?:\.[A-Za-z_$][\w$]*|\[\d+\]|${JSON_KEY})*$`);
/** A whole-document issue says what a document must be (a mapping, at most 1 MiB…). */
const SAYS_WHAT_IS_EXPECTED = /\b(must|largest|expected|required)\b/;

const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** JSON.stringify escapes exactly the unpaired surrogates (an escaped backslash before "u" does not count). */
const LONE_SURROGATE_ESCAPE = /(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

function issueProblem(issue: FieldIssue): string | undefined {
  if (typeof issue.path !== 'string' || typeof issue.message !== 'string') return 'issue is not {path, message} strings';
  if (issue.message.trim() === '') return `empty message at ${JSON.stringify(issue.path)}`;
  if (issue.path === '') {
    return SAYS_WHAT_IS_EXPECTED.test(issue.message) ? undefined : `whole-document issue does not say what is expected: ${issue.message}`;
  }
  return FIELD_PATH.test(issue.path) ? undefined : `path does not name a field: ${JSON.stringify(issue.path)}`;
}

/**
 * Broken invariants, grouped by kind of failure (one failure can cascade into
 * thousands, so the report shows each kind once, with its count and its
 * earliest document, rather than the first few to arrive).
 */
class ProblemLog {
  count = 0;
  private readonly groups = new Map<string, { count: number; index: number; text: string }>();

  readonly note = (index: number, doc: unknown, what: string): void => {
    this.count++;
    const key = what.replace(/"[^"\n]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 120);
    const group = this.groups.get(key);
    if (group) group.count++;
    if (!group || index < group.index) {
      this.groups.set(key, { count: group?.count ?? 1, index, text: `${what.slice(0, 2_000)}\n    ${describeDoc(doc)}` });
    }
  };

  report(): string {
    const groups = [...this.groups.values()].sort((a, b) => a.index - b.index);
    const shown = groups.slice(0, 20).map((g) => `×${g.count}, first #${g.index}: ${g.text}`);
    return `${this.count} problems of ${groups.length} kinds:\n${shown.join('\n')}`;
  }
}

function describeDoc(doc: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(doc) ?? String(doc);
  } catch {
    text = '(too deep to print)';
  }
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
}

/** JSON text of a document, or undefined when it is too deep for JSON.stringify (a client cannot send it). */
function toJson(doc: unknown): string | undefined {
  try {
    return JSON.stringify(doc);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * A valid Deployment with a large replica count is a legitimate request for
 * that many pods: the deployment controller would create them all, which is a
 * capacity test, not this one (the test below covers absurd counts). Replica
 * counts above 3 are brought down to 3.
 */
function boundReplicas(doc: unknown): void {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
  const spec = (doc as Record<string, unknown>)['spec'];
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return;
  const replicas = (spec as Record<string, unknown>)['replicas'];
  if (typeof replicas === 'number' && Number.isFinite(replicas) && replicas > 3) (spec as Record<string, unknown>)['replicas'] = 3;
}

/** How many mappings and lists deep a value goes (itself included), without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [node, depth] = top;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function hasResourceVersion(doc: unknown): boolean {
  const metadata = (doc as { metadata?: unknown } | null)?.metadata;
  if (metadata === null || typeof metadata !== 'object') return false;
  const rv = (metadata as Record<string, unknown>)['resourceVersion'];
  return typeof rv === 'string' && rv !== '';
}

/**
 * The field lines of an Invalid message: "Kind "name" is invalid:\n  path: message\n  …",
 * or a single "path: message" for problems found before validation.
 */
function invalidMessageNamesAField(message: string): boolean {
  const body = message.replace(/^Error from server \(Invalid\): /, '');
  const lines = body.includes(' is invalid:\n  ') ? body.slice(body.lastIndexOf(' is invalid:\n  ') + 15).split('\n  ') : [body];
  return lines.some((line) => {
    const colon = line.indexOf(': ');
    if (colon > 0 && FIELD_PATH.test(line.slice(0, colon))) return true;
    return SAYS_WHAT_IS_EXPECTED.test(line);
  });
}

async function healthz(address: string): Promise<number> {
  const response = await fetch(`http://${address}/healthz`);
  await response.arrayBuffer();
  return response.status;
}

async function expectServing(): Promise<void> {
  const { cluster, api } = fixture();
  expect(cluster.controlPlane.running, `control plane exited:\n${cluster.controlPlane.output()}`).toBe(true);
  expect(await healthz(cluster.httpAddress)).toBe(200);
  const list = await api.list({ kind: 'configmaps', namespace: '', allNamespaces: true, labelSelector: '' });
  expect(Number(list.resourceVersion)).toBeGreaterThan(0);
}

describe('validation alone', () => {
  test(`${COUNT} fuzzed manifests: validateManifest never throws, is fast, every rejection names its fields, and its output re-validates unchanged`, () => {
    const docs = generateManifests(VALIDATION_SEED, COUNT);
    expect(docs).toHaveLength(COUNT);
    // Deterministic: the same seed gives the same documents.
    expect(describeDoc(generateManifests(VALIDATION_SEED, 50))).toBe(describeDoc(docs.slice(0, 50)));

    const problems = new ProblemLog();
    const note = problems.note;
    let accepted = 0;
    let warned = 0;
    let slowest = { ms: 0, index: -1 };
    const firstErrorPaths = new Map<string, number>();
    const started = performance.now();
    docs.forEach((doc, index) => {
      const strict = index % 4 === 0;
      const t0 = performance.now();
      let result: ValidationResult;
      try {
        result = validateManifest(doc, { strict });
      } catch (error) {
        note(index, doc, `threw ${String(error)}`);
        return;
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, index };
      if (result.warnings.length > 0) warned++;
      for (const issue of [...result.errors, ...result.warnings]) {
        const problem = issueProblem(issue);
        if (problem) note(index, doc, problem);
      }
      if (strict && result.warnings.length > 0) note(index, doc, 'warnings under strict (unknown fields must be errors)');
      if (result.object === undefined) {
        if (result.errors.length === 0) note(index, doc, 'rejected without an issue');
        const first = result.errors[0];
        if (first) {
          const key = first.path.replace(/\[\d+\]/g, '[]').replace(/\["[^"]*"\]/g, '[…]').split('.').slice(0, 3).join('.');
          firstErrorPaths.set(key, (firstErrorPaths.get(key) ?? 0) + 1);
        }
        return;
      }
      accepted++;
      if (result.errors.length > 0) note(index, doc, 'an object came back together with errors');
      // The output is what the server stores: valid, pruned and defaulted, so a second pass changes nothing.
      let again: ValidationResult;
      try {
        again = validateManifest(result.object, { strict: true });
      } catch (error) {
        note(index, doc, `re-validating the output threw ${String(error)}`);
        return;
      }
      if (again.errors.length > 0 || again.warnings.length > 0) {
        note(index, doc, `its output does not re-validate: ${[...again.errors, ...again.warnings].map(formatIssue).join('; ')}`);
      } else if (!isDeepStrictEqual(again.object, result.object)) {
        note(index, doc, `defaults are not idempotent: ${describeDoc(result.object)} became ${describeDoc(again.object)}`);
      }
    });
    const elapsed = performance.now() - started;

    const top = [...firstErrorPaths.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(
      `validation: ${COUNT} documents in ${Math.round(elapsed)} ms (slowest #${slowest.index}: ${slowest.ms.toFixed(1)} ms); ` +
        `${accepted} valid, ${COUNT - accepted} rejected, ${warned} with warnings; first errors by field: ` +
        top.map(([path, n]) => `${path || '(document)'}=${n}`).join(', '),
    );
    expect(problems.count, problems.report()).toBe(0);
    // Both sides of the fuzzer are exercised.
    expect(accepted).toBeGreaterThan(COUNT * 0.05);
    expect(COUNT - accepted).toBeGreaterThan(COUNT * 0.5);
    // Generous bounds: a pathological input (a regex that backtracks, a copy that goes quadratic) blows them by far.
    expect(slowest.ms).toBeLessThan(2_000);
    expect(elapsed).toBeLessThan(30_000);
  }, 120_000);
});

describe('the API under fuzzed applies', () => {
  // Found by this fuzzer: `replicas: 1e15` used to pass validation and freeze
  // the control plane while the controller drew pod names. Now replicas is an
  // int32 (as in Kubernetes) and at most 500 pods are created per sync.
  test('invariant: an absurd replica count is refused; a large one is created in bounded batches while the control plane stays responsive', async () => {
    const { cluster, api } = fixture();
    const deployment = (replicas: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'many' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'many' } },
        template: { metadata: { labels: { app: 'many' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const refused = await api.apply(deployment(1e15) as never, { strict: false, dryRun: false }).then(() => undefined, (e: unknown) => e);
    expect((refused as ServerError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((refused as ServerError).message).toContain('spec.replicas: ');

    await api.apply(deployment(1200) as never, { strict: false, dryRun: false });
    let slowest = 0;
    await waitFor(
      async () => {
        const started = Date.now();
        expect((await fetch(`http://${cluster.httpAddress}/healthz`)).status).toBe(200);
        slowest = Math.max(slowest, Date.now() - started);
        const { items } = await api.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: 'app=many' });
        return items.length === 1200;
      },
      { timeoutMs: 90_000, intervalMs: 100, description: '1200 pods created' },
    );
    expect(slowest, 'slowest /healthz answer while creating (ms)').toBeLessThan(2_000);
    await api.delete({ kind: 'deployments', namespace: 'default', name: 'many' });
    await waitFor(
      async () => (await api.list({ kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: 'app=many' })).items.length === 0,
      { timeoutMs: 90_000, intervalMs: 200, description: 'the 1200 pods garbage-collected' },
    );
  }, 240_000);

  test(`${COUNT} fuzzed manifests applied straight to the server: it never crashes, rejects only with INVALID_ARGUMENT (naming a field, agreeing with validateManifest), NOT_FOUND (namespace), FAILED_PRECONDITION, ABORTED (a stale resourceVersion) or RESOURCE_EXHAUSTED (over 4 MiB) and never INTERNAL/UNKNOWN/UNAVAILABLE, and stores only valid objects`, async () => {
    const { cluster, api } = fixture();
    // Documents deeper than JSON.stringify can print cannot be sent by any JSON client: skipped here
    // (the raw-bytes tests below send deeper ones); enough extra are generated to keep COUNT.
    const candidates = generateManifests(API_SEED, COUNT + 1500);
    const work: { index: number; doc: unknown; json: string }[] = [];
    let unsendable = 0;
    for (const [index, doc] of candidates.entries()) {
      if (work.length === COUNT) break;
      boundReplicas(doc);
      const json = toJson(doc);
      if (json === undefined || Buffer.byteLength(json) > API_MAX_DOCUMENT_BYTES) unsendable++;
      else work.push({ index, doc: JSON.parse(json) as unknown, json });
    }
    expect(work).toHaveLength(COUNT);

    const outcomes = new Map<string, number>();
    const count = (key: string): void => {
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };
    const problems = new ProblemLog();
    const note = problems.note;

    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < work.length; i = next++) {
        const { index, doc, json } = work[i] as (typeof work)[number];
        const strict = index % 5 === 0;
        const dryRun = index % 7 === 0;
        // The server runs the same validation (taking Events from agents too): it must agree with it.
        const local = validateManifest(doc, { strict, components: true });
        const bytes = Buffer.byteLength(json);
        try {
          const answer = await api.apply(doc as never, { strict, dryRun });
          count(answer.outcome);
          if (!['created', 'configured', 'unchanged'].includes(answer.outcome)) note(index, doc, `answered ${answer.outcome}`);
          if (local.errors.length > 0) note(index, doc, `accepted although invalid: ${local.errors.map(formatIssue).join('; ')}`);
        } catch (error) {
          if (!(error instanceof ServerError)) {
            count('client error');
            note(index, doc, `failed outside the server: ${String(error)}`);
            continue;
          }
          const code = grpc.status[error.code] ?? String(error.code);
          count(code);
          switch (error.code) {
            case grpc.status.INVALID_ARGUMENT:
              if (!invalidMessageNamesAField(error.message)) note(index, doc, `Invalid without a field: ${error.message}`);
              if (error.message.includes('manifest_json: ')) {
                // Refused before parsing: too deeply nested, or not valid Unicode. Either must be true.
                const reason = /nested/.test(error.message) ? nestingDepth(doc) > MAX_NESTING_DEPTH : LONE_SURROGATE_ESCAPE.test(json);
                if (!reason) note(index, doc, `refused before parsing for no reason: ${error.message}`);
              } else if (local.errors[0] && !error.message.includes(formatIssue(local.errors[0]))) {
                note(index, doc, `server and validateManifest disagree: ${error.message} vs ${formatIssue(local.errors[0])}`);
              }
              break;
            case grpc.status.NOT_FOUND:
              if (!/namespace "[^"]*" not found/.test(error.message)) note(index, doc, `unexpected NOT_FOUND: ${error.message}`);
              if (local.errors.length > 0) note(index, doc, `invalid, yet NOT_FOUND: ${error.message}`);
              break;
            case grpc.status.FAILED_PRECONDITION:
              if (local.errors.length > 0) note(index, doc, `invalid, yet FAILED_PRECONDITION: ${error.message}`);
              break;
            case grpc.status.ABORTED:
              // Only a manifest that names a resourceVersion may lose on it (Kubernetes' 409 Conflict).
              if (!hasResourceVersion(doc)) note(index, doc, `conflict without a resourceVersion: ${error.message}`);
              break;
            case grpc.status.RESOURCE_EXHAUSTED:
              if (bytes <= MAX_REQUEST_BYTES - 64) note(index, doc, `RESOURCE_EXHAUSTED for ${bytes} bytes: ${error.message}`);
              break;
            default:
              note(index, doc, `${code}: ${error.message}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: API_CONCURRENCY }, worker));
    const elapsed = performance.now() - started;

    // Still alive, still healthy.
    expect(cluster.controlPlane.running, `control plane exited:\n${cluster.controlPlane.output()}`).toBe(true);
    expect(await healthz(cluster.httpAddress)).toBe(200);

    // etcd holds only valid objects: everything stored re-validates (server-owned metadata and status included).
    let stored = 0;
    for (const kind of ['pods', 'deployments', 'services', 'configmaps', 'secrets', 'namespaces']) {
      const { items } = await api.list({ kind, namespace: '', allNamespaces: true, labelSelector: '' });
      for (const item of items) {
        stored++;
        const result = validateManifest(item, { strict: true });
        if (result.errors.length > 0 || result.warnings.length > 0) {
          note(-1, item, `stored ${kind} does not re-validate: ${[...result.errors, ...result.warnings].map(formatIssue).join('; ')}`);
        }
      }
    }

    console.log(
      `api: ${work.length} applies in ${Math.round(elapsed)} ms (${unsendable} too deep to send skipped); ` +
        [...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(', ') +
        `; ${stored} objects stored`,
    );
    expect(problems.count, problems.report()).toBe(0);
    const acceptedCount = (outcomes.get('created') ?? 0) + (outcomes.get('configured') ?? 0) + (outcomes.get('unchanged') ?? 0);
    expect(acceptedCount).toBeGreaterThan(COUNT * 0.05);
    expect(outcomes.get('INVALID_ARGUMENT') ?? 0).toBeGreaterThan(COUNT * 0.5);
  }, 600_000);
});

// ---------------------------------------------------------------------------
// Raw bytes

/** A protobuf varint. */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** ApplyRequest { manifest_json = 1; strict = 2; dry_run = 3 }, encoded by hand. */
function applyRequest(manifestJson: string, dryRun = true): Buffer {
  const text = Buffer.from(manifestJson, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(text.length), text, Buffer.from([0x18, dryRun ? 1 : 0])]);
}

interface RawAnswer {
  readonly code: grpc.status;
  readonly details: string;
}

function rawUnary(client: grpc.Client, method: string, payload: Buffer): Promise<RawAnswer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest<Buffer, Buffer>(
      method,
      (bytes) => bytes,
      (bytes) => bytes,
      payload,
      new grpc.Metadata(),
      { deadline: Date.now() + 20_000 },
      (error, _value) => resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

function applyJson(manifestJson: string): Promise<RawAnswer> {
  const { cluster } = fixture();
  const client = cluster.apiClient(undefined, { 'grpc.max_send_message_length': -1 });
  return new Promise<RawAnswer>((resolve) => {
    client.Apply({ manifest_json: manifestJson, strict: false, dry_run: true }, { deadline: Date.now() + 20_000 }, (error) => {
      resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' });
    });
  }).finally(() => client.close());
}

/** Sends `bytes` on a fresh TCP connection, then waits for the server to close it (or gives up and closes it). */
function tcpGarbage(address: string, bytes: Buffer): Promise<string> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 2_000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

function randomBytes(seed: number, length: number): Buffer {
  const rng = new Rng(seed);
  return Buffer.from(Array.from({ length }, () => rng.int(256)));
}

const CONFIG_MAP = (data: string): string => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw"},"data":${data}}`;

describe('malformed traffic', () => {
  let raw: grpc.Client;
  beforeAll(() => {
    raw = new grpc.Client(fixture().cluster.grpcAddress, fixture().cluster.channelCredentials(), { 'grpc.max_send_message_length': -1 });
  });
  afterAll(() => raw?.close());

  const undecodable: [string, () => Buffer][] = [
    ['random bytes', () => randomBytes(1, 512)],
    ['an invalid wire type (7)', () => Buffer.from([0x0f, 0x01, 0x02, 0x03])],
    ['a varint that never ends', () => Buffer.alloc(64, 0xff)],
    ['a truncated ApplyRequest', () => applyRequest(CONFIG_MAP('{"a":"b"}')).subarray(0, 40)],
    ['a length prefix far beyond the message', () => Buffer.concat([Buffer.from([0x0a]), varint(1_000_000), Buffer.from('{}')])],
    ['manifest_json sent as a varint (wrong wire type)', () => Buffer.from([0x08, 0x96, 0x01])],
    ['strict sent as a fixed64 (wrong wire type) and cut short', () => Buffer.from([0x11, 0x01, 0x02])],
    ['a start-group with no end-group', () => Buffer.from([0x0b, 0x0a, 0x02, 0x7b, 0x7d])],
  ];

  test.each(undecodable)('an Apply request that is %s gets a clean error status (INTERNAL or INVALID_ARGUMENT), and the server keeps serving', async (_name, payload) => {
    const answer = await rawUnary(raw, '/skiff.v1.Api/Apply', payload());
    expect([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT], `${grpc.status[answer.code]}: ${answer.details}`).toContain(answer.code);
    expect(answer.details).not.toBe('');
    await expectServing();
  });

  test('a 5 MiB Apply is RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    const answer = await rawUnary(raw, '/skiff.v1.Api/Apply', applyRequest(CONFIG_MAP(`{"blob":"${'z'.repeat(5 * 1024 * 1024)}"}`)));
    expect(answer.code, answer.details).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await expectServing();
  });

  test('a method that does not exist is UNIMPLEMENTED, and the server keeps serving', async () => {
    const answer = await rawUnary(raw, '/skiff.v1.Api/Explode', Buffer.alloc(0));
    expect(answer.code, answer.details).toBe(grpc.status.UNIMPLEMENTED);
    await expectServing();
  });

  test.each([
    ['HTTP/1.1 garbage', () => Buffer.from('GET /skiff.v1.Api/Apply HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n\x00\xff')],
    ['random bytes', () => randomBytes(2, 4096)],
    ['the HTTP/2 preface, then random frames', () => Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), randomBytes(3, 2048)])],
  ])('a raw TCP connection sending %s to the gRPC port does not bring the server down', async (_name, bytes) => {
    const { cluster } = fixture();
    await tcpGarbage(cluster.grpcAddress, bytes());
    await expectServing();
  });

  const nested = (depth: number, open: string, close: string): string => open.repeat(depth) + close.repeat(depth);
  const tooDeep = /nest|deep/;
  const manifestJsonCases: [string, () => string, RegExp][] = [
    ['invalid JSON', () => '{"apiVersion": "v1", "kind": ', /not valid JSON/],
    ['empty', () => '', /not valid JSON/],
    ['JSON null', () => 'null', /must be a mapping/],
    ['a JSON array', () => '[1, 2, 3]', /must be a mapping/],
    ['a JSON string', () => '"ConfigMap"', /must be a mapping/],
    ['a 1 MiB+ JSON string', () => JSON.stringify('s'.repeat(1_100_000)), /must be a mapping/],
    ['a ConfigMap of 1 MiB+', () => CONFIG_MAP(JSON.stringify({ blob: 'b'.repeat(1_100_000) })), /largest object Skiff stores is 1 MiB/],
    ['10,000 unclosed "["', () => '['.repeat(10_000), /not valid JSON|nest|deep/],
    ['10,000 nested lists', () => nested(10_000, '[', ']'), tooDeep],
    ['1,500,000 nested lists (3 MB)', () => nested(1_500_000, '[', ']'), tooDeep],
    ['a ConfigMap whose data is nested 10,000 mappings deep', () => CONFIG_MAP(nested(10_000, '{"a":', '}').replace(/:\}/, ':"x"}')), tooDeep],
    ['a Pod whose unknown field is nested 100,000 lists deep', () => `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"extra":${nested(100_000, '[', ']')}}`, tooDeep],
    // The document itself is level 1, data level 2.
    ['a ConfigMap 101 levels deep', () => CONFIG_MAP(JSON.stringify(deepValue(100, 'objects'))), tooDeep],
    ['a ConfigMap 100 levels deep (deep, but not too deep: its data is simply not strings)', () => CONFIG_MAP(JSON.stringify(deepValue(99, 'objects'))), /data\.a: must be a string/],
  ];

  test.each(manifestJsonCases)('manifest_json that is %s is INVALID_ARGUMENT, saying why, and the server keeps serving', async (_name, text, why) => {
    const answer = await applyJson(text());
    expect(answer.code, `${grpc.status[answer.code]}: ${answer.details.slice(0, 300)}`).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details.slice(0, 2_000)).toMatch(why);
    await expectServing();
  });
});
