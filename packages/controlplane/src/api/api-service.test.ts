// What a request means, without gRPC or etcd: the API service over the
// in-memory store (which passes the same contract suite as etcd).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, FailedPreconditionError, InvalidError, kindInfo, NotFoundError, type Deployment, type ResourceObject } from '@skiff/api';
import { rejectionOf } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { ApiService } from './api-service.js';

const DEPLOYMENT = kindInfo('Deployment');
const CONFIG_MAP = kindInfo('ConfigMap');
const CLOCK = new Date('2026-05-06T07:08:09Z');

let store: MemoryStore;
let objects: ObjectStore;
let api: ApiService;

function deployment(name: string, replicas = 1, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'busybox:1' }] } },
      ...extra,
    },
  });
}

function configMap(name: string, data: Record<string, string>, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop', ...metadata }, data });
}

beforeEach(async () => {
  store = new MemoryStore();
  objects = new ObjectStore(store);
  api = new ApiService(objects, () => CLOCK);
  await api.ensureBuiltinNamespaces();
  await api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }));
});

afterEach(async () => {
  await store.close();
});

describe('ApiService.apply', () => {
  it('creates, then is unchanged, then configures with a new generation', async () => {
    const created = await api.apply(deployment('web'));
    expect(created.outcome).toBe('created');
    expect(created.object.metadata).toMatchObject({ generation: 1, creationTimestamp: '2026-05-06T07:08:09Z' });
    expect((created.object.spec as Deployment['spec']).strategy).toBeDefined(); // defaults applied

    const again = await api.apply(deployment('web'));
    expect(again.outcome).toBe('unchanged');
    expect(again.object.metadata.resourceVersion).toBe(created.object.metadata.resourceVersion);

    const scaled = await api.apply(deployment('web', 3));
    expect(scaled.outcome).toBe('configured');
    expect(scaled.object.metadata.generation).toBe(2);
    const stored = await objects.mustGet<Deployment>(DEPLOYMENT, 'shop', 'web');
    expect(stored.spec.replicas).toBe(3);
    expect(stored.metadata.resourceVersion).toBe(scaled.object.metadata.resourceVersion);
  });

  it('rejects an invalid manifest with field paths and writes nothing', async () => {
    const before = await store.currentRevision();
    const error = await rejectionOf(api.apply(deployment('web', -1)), InvalidError);
    expect(error.details).toEqual([expect.stringMatching(/^spec\.replicas: /)]);
    expect(error.message).toMatch(/^Deployment "web" is invalid:\n {2}spec\.replicas: /);
    expect(await store.currentRevision()).toBe(before);
  });

  it('warns about unknown fields by path and drops them, or refuses them when strict', async () => {
    const result = await api.apply(deployment('web', 1, { colour: 'blue' }));
    expect(result.warnings).toEqual([expect.stringMatching(/^spec\.colour: unknown field/)]);
    expect((await objects.mustGet<Deployment>(DEPLOYMENT, 'shop', 'web')).spec).not.toHaveProperty('colour');
    await expect(api.apply(deployment('other', 1, { colour: 'blue' }), { strict: true })).rejects.toBeInstanceOf(InvalidError);
    expect(await objects.get(DEPLOYMENT, 'shop', 'other')).toBeUndefined();
  });

  it('writes nothing on a dry run', async () => {
    const before = await store.currentRevision();
    expect((await api.apply(deployment('web'), { dryRun: true })).outcome).toBe('created');
    expect(await store.currentRevision()).toBe(before);
  });

  it('refuses a namespace that does not exist, saying how to create it', async () => {
    const manifest = JSON.parse(deployment('web')) as ResourceObject;
    manifest.metadata.namespace = 'nowhere';
    const error = await rejectionOf(api.apply(JSON.stringify(manifest)), NotFoundError);
    expect(error.message).toBe('namespace "nowhere" not found; create it first (apply a Namespace manifest with metadata.name: nowhere)');
  });

  it('answers a stale resourceVersion with Conflict and the current revision', async () => {
    const first = await api.apply(configMap('cfg', { a: '1' }));
    await api.apply(configMap('cfg', { a: '2' }));
    const stale = { resourceVersion: first.object.metadata.resourceVersion };
    const error = await rejectionOf(api.apply(configMap('cfg', { a: '3' }, stale)), ConflictError);
    expect(error.currentRevision).toBe(Number((await objects.mustGet(CONFIG_MAP, 'shop', 'cfg')).metadata.resourceVersion));
    expect((await objects.mustGet<ResourceObject & { data: Record<string, string> }>(CONFIG_MAP, 'shop', 'cfg')).data).toEqual({ a: '2' });
  });

  it('lands every one of many concurrent applies to one object (compare-and-swap with retry)', async () => {
    await api.apply(configMap('shared', {}));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.apply(configMap('shared', {}, { labels: { writer: String(i) } }))),
    );
    expect(outcomes.every((o) => o.outcome === 'configured' || o.outcome === 'unchanged')).toBe(true);
    const winner = (await objects.mustGet(CONFIG_MAP, 'shop', 'shared')).metadata.labels?.writer;
    expect(outcomes.map((o) => o.object.metadata.labels?.writer)).toContain(winner);
  });

  it('refuses JSON text that would hurt the server, before parsing it', async () => {
    await expect(api.apply('['.repeat(10_000))).rejects.toThrow(/^manifest_json: nested more than \d+ levels deep/);
    await expect(api.apply('{"kind":"\\ud800"}')).rejects.toThrow(/unpaired UTF-16 surrogate/);
    await expect(api.apply('{"kind":')).rejects.toThrow(/^manifest_json: not valid JSON/);
  });
});

describe('ApiService reads, scale and delete', () => {
  it('lists by label selector and refuses a malformed one', async () => {
    await api.apply(deployment('web'));
    await api.apply(deployment('api'));
    const { items } = await api.list({ kind: 'deployments', namespace: 'shop', labelSelector: 'app in (web)' });
    expect(items.map((item) => item.metadata.name)).toEqual(['web']);
    await expect(api.list({ kind: 'deployments', namespace: 'shop', labelSelector: 'app in (' })).rejects.toBeInstanceOf(InvalidError);
    await expect(api.get({ kind: 'deployments', namespace: 'shop', name: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('scales only deployments and replica sets, within int32, bumping the generation', async () => {
    await api.apply(deployment('web'));
    const scaled = await api.scale({ kind: 'deployment', namespace: 'shop', name: 'web' }, 4);
    expect(scaled.spec.replicas).toBe(4);
    expect(scaled.metadata.generation).toBe(2);
    await expect(api.scale({ kind: 'deployment', namespace: 'shop', name: 'web' }, 2 ** 31)).rejects.toThrow(
      'spec.replicas: must be a whole number from 0 to 2147483647, not 2147483648',
    );
    const rs = JSON.parse(deployment('rs')) as { kind: string };
    rs.kind = 'ReplicaSet';
    await api.apply(JSON.stringify(rs));
    const scaledSet = await api.scale({ kind: 'rs', namespace: 'shop', name: 'rs' }, 3);
    expect([scaledSet.kind, scaledSet.spec.replicas, scaledSet.metadata.generation]).toEqual(['ReplicaSet', 3, 2]);
    await expect(api.scale({ kind: 'configmap', namespace: 'shop', name: 'x' }, 1)).rejects.toThrow(
      'configmaps cannot be scaled; only deployments and replica sets have replicas',
    );
  });

  it('deletes a namespace with everything in it, but never a built-in one', async () => {
    await api.apply(deployment('web'));
    await api.apply(configMap('cfg', { a: '1' }));
    await api.delete({ kind: 'namespace', name: 'shop' });
    expect(await objects.get(DEPLOYMENT, 'shop', 'web')).toBeUndefined();
    expect(await objects.get(CONFIG_MAP, 'shop', 'cfg')).toBeUndefined();
    await expect(api.get({ kind: 'namespace', name: 'shop' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(api.delete({ kind: 'namespace', name: 'default' })).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('deletes only at the expected revision when one is given', async () => {
    const created = await api.apply(configMap('cfg', { a: '1' }));
    await api.apply(configMap('cfg', { a: '2' }));
    await expect(api.delete({ kind: 'configmap', namespace: 'shop', name: 'cfg' }, created.object.metadata.resourceVersion)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await api.delete({ kind: 'configmap', namespace: 'shop', name: 'cfg' });
    expect(await objects.get(CONFIG_MAP, 'shop', 'cfg')).toBeUndefined();
  });
});

describe('ApiService.apply of Events (written by node agents)', () => {
  const event = (count: number, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.17f0a1', namespace: 'shop' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web', uid: 'u1', fieldPath: 'spec.containers{app}' },
      type: 'Normal',
      reason: 'Pulling',
      message: 'Pulling image "busybox:1"',
      count,
      firstTimestamp: '2026-05-06T07:00:00.000Z',
      lastTimestamp: '2026-05-06T07:00:00.000Z',
      source: { component: 'skiff-agent', host: 'node-a' },
      ...extra,
    });

  it('creates, then updates the count, telling the authorizer what the event is about as written and as stored', async () => {
    const seen: { verb: string; written: unknown; existing: unknown }[] = [];
    const authorize = (verb: string, _info: unknown, _ns: unknown, _name: unknown, objects: { written: ResourceObject; existing: ResourceObject | undefined }) =>
      seen.push({ verb, written: (objects.written as { involvedObject?: unknown }).involvedObject, existing: (objects.existing as { involvedObject?: unknown } | undefined)?.involvedObject });
    expect((await api.apply(event(1), { authorize })).outcome).toBe('created');
    const updated = await api.apply(event(2), { authorize });
    expect(updated.outcome).toBe('configured');
    expect(updated.object).toMatchObject({ count: 2, reason: 'Pulling', source: { component: 'skiff-agent', host: 'node-a' } });
    expect(seen.map((s) => s.verb)).toEqual(['create', 'update']);
    expect(seen[0]?.existing).toBeUndefined();
    expect(seen[1]?.existing).toMatchObject({ kind: 'Pod', name: 'web', uid: 'u1' });
  });

  it('refuses an Event without what it is about, or of an unknown type, naming the field', async () => {
    const noSubject = JSON.parse(event(1)) as Record<string, unknown>;
    delete noSubject.involvedObject;
    const missing = await rejectionOf(api.apply(JSON.stringify(noSubject)), InvalidError);
    expect(missing.message).toContain('involvedObject');
    const badType = await rejectionOf(api.apply(event(1, { type: 'Alarming' })), InvalidError);
    expect(badType.message).toContain('type: must be Normal or Warning');
    expect(await objects.get(kindInfo('Event'), 'shop', 'web.17f0a1')).toBeUndefined();
  });
});
