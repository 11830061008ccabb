// LIST in pages on the wire, as kube-apiserver answers it: limit=N gives at
// most N items and metadata.continue; following the tokens gives every object
// once, at the first page's resourceVersion even when objects change between
// pages; kubectl get --chunk-size follows them; a token whose revision etcd
// compacted is 410 Expired, and a garbage one 400 BadRequest. gRPC List and
// ctl get --chunk-size page the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '@skiff/controlplane';
import { runCtl } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';
import { kubectl, restRequest, type RestAnswer } from '../harness/kubectl.js';

const fixture = useCluster();
const dir = mkdtempSync(join(tmpdir(), 'skiff-paging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMESPACE = 'paging';
const CONFIG_MAPS = `/api/v1/namespaces/${NAMESPACE}/configmaps`;
const NAMES = ['cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6', 'cm-7'];

interface ListBody {
  readonly metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  readonly items: { metadata: { name: string }; data?: Record<string, string> }[];
}

function configMap(name: string, value: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });
}

async function send(method: string, path: string, body?: string): Promise<RestAnswer> {
  const answer = await restRequest(fixture().cluster, method, path, body === undefined ? {} : { body, contentType: 'application/json' });
  expect(answer.status, `${method} ${path}: ${answer.text}`).toBeLessThan(300);
  return answer;
}

async function page(query: string): Promise<ListBody> {
  return JSON.parse((await send('GET', `${CONFIG_MAPS}?${query}`)).text) as ListBody;
}

const names = (body: ListBody): string[] => body.items.map((item) => item.metadata.name);

beforeAll(async () => {
  await send('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));
  for (const name of NAMES) await send('POST', CONFIG_MAPS, configMap(name, 'original'));
});

describe('LIST in pages', () => {
  test('limit=3 and continue give all 7 exactly once, at the first page\'s resourceVersion while objects change', async () => {
    const first = await page('limit=3');
    expect(names(first)).toEqual(['cm-1', 'cm-2', 'cm-3']);
    expect(first.metadata.remainingItemCount).toBe(4);
    expect(first.metadata.continue).toMatch(/^[A-Za-z0-9_-]+$/);

    // Between pages: one object changes, one appears. The later pages show neither.
    await send('PUT', `${CONFIG_MAPS}/cm-5`, configMap('cm-5', 'changed'));
    await send('POST', CONFIG_MAPS, configMap('cm-45', 'new'));
    try {
      const second = await page(`limit=3&continue=${first.metadata.continue}`);
      expect(names(second)).toEqual(['cm-4', 'cm-5', 'cm-6']);
      expect(second.items[1]!.data).toEqual({ value: 'original' });
      expect(second.metadata).toMatchObject({ resourceVersion: first.metadata.resourceVersion, remainingItemCount: 1 });
      const third = await page(`limit=3&continue=${second.metadata.continue}`);
      expect(names(third)).toEqual(['cm-7']);
      expect(third.metadata.continue).toBeUndefined();
      expect(third.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      const all = [...names(first), ...names(second), ...names(third)];
      expect(all).toEqual(NAMES);
      // A new list sees the present.
      const now = await page('');
      expect(names(now)).toEqual(['cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-45', 'cm-5', 'cm-6', 'cm-7']);
      expect(now.metadata.continue).toBeUndefined();
    } finally {
      await send('DELETE', `${CONFIG_MAPS}/cm-45`);
    }
  });

  test('kubectl get --chunk-size=2 follows the continue tokens and shows every ConfigMap; Tables carry the token', async () => {
    const table = await restRequest(fixture().cluster, 'GET', `${CONFIG_MAPS}?limit=2`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(JSON.parse(table.text)).toMatchObject({ kind: 'Table', metadata: { continue: expect.any(String), remainingItemCount: 5 } });

    const result = await kubectl(fixture().cluster.adminKubeconfig, dir, ['get', 'cm', '-n', NAMESPACE, '--chunk-size=2', '-v=6']);
    expect(result.code, result.stderr).toBe(0);
    const shown = result.stdout.split('\n').slice(1).filter(Boolean).map((line) => line.split(/\s+/)[0]);
    expect(shown).toEqual(NAMES);
    // -v=6 logs each request: one first page and three continuations.
    const requests = result.stderr.split('\n').filter((line) => /GET https:\/\/\S+\/configmaps\?\S*limit=2/.test(line));
    expect(requests).toHaveLength(4);
    expect(requests.filter((line) => line.includes('continue='))).toHaveLength(3);

    const named = await kubectl(fixture().cluster.adminKubeconfig, dir, ['get', 'cm', '-n', NAMESPACE, '--chunk-size=3', '-o', 'name']);
    expect(named.stdout.trim().split('\n')).toEqual(NAMES.map((name) => `configmap/${name}`));
  });

  test('gRPC List pages the same way, and ctl get --chunk-size follows the tokens', async () => {
    const { api, cluster } = fixture();
    const query = { kind: 'configmaps', namespace: NAMESPACE, allNamespaces: false, labelSelector: '', limit: 3 };
    const first = await api.list(query);
    expect(first.items.map((item) => item.metadata.name)).toEqual(['cm-1', 'cm-2', 'cm-3']);
    const second = await api.list({ ...query, continue: first.continue! });
    expect(second.items.map((item) => item.metadata.name)).toEqual(['cm-4', 'cm-5', 'cm-6']);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    const third = await api.list({ ...query, continue: second.continue! });
    expect(third.items.map((item) => item.metadata.name)).toEqual(['cm-7']);
    expect(third.continue).toBeUndefined();

    const shown = await runCtl(cluster.adminKubeconfig, ['get', 'cm', '-n', NAMESPACE, '--chunk-size', '2', '-o', 'name']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.trim().split('\n')).toEqual(NAMES.map((name) => `configmap/${name}`));
  });

  test('a token whose revision etcd has compacted is 410 Expired, offering a token that reads on at the latest revision', async () => {
    const first = await page('limit=2');
    await send('PUT', `${CONFIG_MAPS}/cm-7`, configMap('cm-7', 'after the first page'));
    // A consistent list waits until the API server's watch cache has that write.
    await page('');
    const etcd = await EtcdStore.connect({ endpoints: [fixture().cluster.etcd.endpoint] });
    try {
      await etcd.compact(await etcd.currentRevision());
    } finally {
      await etcd.close();
    }
    const stale = await restRequest(fixture().cluster, 'GET', `${CONFIG_MAPS}?limit=2&continue=${first.metadata.continue}`);
    expect(stale.status, stale.text).toBe(410);
    const status = JSON.parse(stale.text) as { kind: string; reason: string; code: number; message: string; metadata: { continue?: string } };
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(status.message).toMatch(/too old.*Start a new list without continue/s);
    const onward = await page(`limit=10&continue=${status.metadata.continue}`);
    expect(names(onward)).toEqual(['cm-3', 'cm-4', 'cm-5', 'cm-6', 'cm-7']);
    expect(onward.items[4]!.data).toEqual({ value: 'after the first page' });
  });

  test('a garbage continue token and a limit that is no number are 400 BadRequest, saying what is wrong', async () => {
    const garbage = await restRequest(fixture().cluster, 'GET', `${CONFIG_MAPS}?limit=2&continue=garbage-token`);
    expect(garbage.status, garbage.text).toBe(400);
    expect(JSON.parse(garbage.text)).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message: expect.stringMatching(/^continue: the token is not one this server issued/) });
    const limit = await restRequest(fixture().cluster, 'GET', `${CONFIG_MAPS}?limit=many`);
    expect(limit.status, limit.text).toBe(400);
    expect(JSON.parse(limit.text)).toMatchObject({ reason: 'BadRequest', message: expect.stringMatching(/^limit: must be a whole number/) });
  });
});
