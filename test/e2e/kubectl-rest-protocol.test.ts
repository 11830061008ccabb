// The REST API on the wire, where kubectl's output hides it: Status bodies
// (422 causes, 415 for a patch type the server does not read), and a watch from a
// compacted resourceVersion ending with an ERROR event carrying 410 Expired.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@skiff/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';
import { restRequest } from '../harness/kubectl.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-rest-audit-'));
const AUDIT_LOG = join(dir, 'audit.log');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The control plane compacts etcd itself every second here (5 minutes by default).
const fixture = useCluster({ controlPlaneArgs: ['--etcd-compaction-interval', '1s', '--audit-log', AUDIT_LOG] });
const CONFIG_MAPS = '/api/v1/namespaces/default/configmaps';

function configMap(name: string, value: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });
}

describe('the REST API on the wire', () => {
  test('an invalid object is 422 Invalid with a cause per field', async () => {
    const { cluster } = fixture();
    const body = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' }, spec: { replicas: -1 } });
    const answer = await restRequest(cluster, 'POST', '/apis/apps/v1/namespaces/default/deployments', { body, contentType: 'application/json' });
    expect(answer.status).toBe(422);
    const status = JSON.parse(answer.text) as { kind: string; reason: string; details: { causes: { field?: string }[] } };
    expect(status).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(status.details.causes.map((cause) => cause.field)).toContain('spec.replicas');
  });

  test('a patch type the server does not read is 415; strategic merge and merge patches work', async () => {
    const { cluster } = fixture();
    expect((await restRequest(cluster, 'POST', CONFIG_MAPS, { body: configMap('patched', 'a'), contentType: 'application/json' })).status).toBe(201);
    const patch = JSON.stringify({ data: { value: 'b' } });
    const apply = await restRequest(cluster, 'PATCH', `${CONFIG_MAPS}/patched`, { body: patch, contentType: 'application/x-unknown-patch+json' });
    expect(apply.status).toBe(415);
    expect(JSON.parse(apply.text)).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
    const strategic = await restRequest(cluster, 'PATCH', `${CONFIG_MAPS}/patched`, { body: JSON.stringify({ data: { other: 'c' } }), contentType: 'application/strategic-merge-patch+json' });
    expect(strategic.status, strategic.text).toBe(200);
    expect(JSON.parse(strategic.text).data).toEqual({ value: 'a', other: 'c' });
    const protobuf = await restRequest(cluster, 'POST', CONFIG_MAPS, { body: 'k8s\u0000…', contentType: 'application/vnd.kubernetes.protobuf' });
    expect(protobuf.status).toBe(415);
    const merge = await restRequest(cluster, 'PATCH', `${CONFIG_MAPS}/patched`, { body: patch, contentType: 'application/merge-patch+json' });
    expect(merge.status, merge.text).toBe(200);
    expect(JSON.parse(merge.text).data).toEqual({ value: 'b', other: 'c' });
    // Both attempts are audited as the gRPC door's requests are, the refused one with its code.
    const lines = await waitFor(
      async () => {
        const found = readFileSync(AUDIT_LOG, 'utf8').split('\n').filter((line) => line.includes('"REST PATCH"'));
        return found.length >= 3 ? found.map((line) => JSON.parse(line) as Record<string, unknown>) : undefined;
      },
      { timeoutMs: 30_000, description: 'three REST PATCH lines in the audit log' },
    );
    expect(lines[0]).toMatchObject({ user: 'admin', verb: 'patch', resource: 'configmaps', namespace: 'default', name: 'patched', code: 'UNIMPLEMENTED' });
    expect(lines[1]).toMatchObject({ verb: 'patch', code: 'OK' });
    // And counted under kube-apiserver's metric names, by HTTP code.
    const metrics = await (await fetch(`http://${cluster.httpAddress}/metrics`)).text();
    const patches = (code: number) => new RegExp(`^apiserver_request_total\\{verb="PATCH",group="",version="v1",resource="configmaps",subresource="",code="${code}"\\} (\\d+)$`, 'm').exec(metrics)?.[1];
    expect(Number(patches(415))).toBeGreaterThanOrEqual(1);
    expect(Number(patches(200))).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/^apiserver_request_duration_seconds_count\{verb="POST",group="",version="v1",resource="configmaps",subresource=""\} \d+$/m);
  });

  test('a DELETE, with DeleteOptions in its body, answers a Success Status naming what it removed, as kube-apiserver does', async () => {
    const { cluster } = fixture();
    const created = await restRequest(cluster, 'POST', CONFIG_MAPS, { body: configMap('doomed', 'x'), contentType: 'application/json' });
    expect(created.status, created.text).toBe(201);
    const uid = (JSON.parse(created.text) as { metadata: { uid: string } }).metadata.uid;
    const options = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid } });
    const deleted = await restRequest(cluster, 'DELETE', `${CONFIG_MAPS}/doomed`, { body: options, contentType: 'application/json' });
    expect(deleted.status, deleted.text).toBe(200);
    expect(JSON.parse(deleted.text)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'doomed', group: '', kind: 'configmaps', uid } });
    expect((await restRequest(cluster, 'GET', `${CONFIG_MAPS}/doomed`)).status).toBe(404);
  });

  test('a watch from a compacted resourceVersion ends with an ERROR event carrying 410 Expired', async () => {
    const { cluster } = fixture();
    const created = await restRequest(cluster, 'POST', CONFIG_MAPS, { body: configMap('aging', '0'), contentType: 'application/json' });
    const old = (JSON.parse(created.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    let i = 0;
    const ended = await waitFor(
      async () => {
        // Writes go on (a change per probe); an interval or two later history from before them is gone.
        await restRequest(cluster, 'PUT', `${CONFIG_MAPS}/aging`, { body: configMap('aging', String(++i)), contentType: 'application/json' });
        const watch = await restRequest(cluster, 'GET', `${CONFIG_MAPS}?watch=true&resourceVersion=${old}`, { untilMs: 2_000 });
        const events = watch.text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
        return events.find((event) => event.type === 'ERROR');
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'the watch from the old revision to end with an ERROR event' },
    );
    expect(ended.object).toMatchObject({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });
    expect(String(ended.object['message'])).toMatch(/too old/);
  });
});
