// The real kubectl's server-side apply against Skiff's REST API: apply
// --server-side creates, re-applies change, a second field manager changing an
// owned field gets the conflict kubectl prints, --force-conflicts takes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment, ManagedFieldsEntry } from '@skiff/api';
import { afterAll, describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';
import { kubectl, restRequest } from '../harness/kubectl.js';

const fixture = useCluster();
const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-ssa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = (replicas: number, image: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\n  namespace: default\nspec:\n  replicas: ${String(replicas)}\n  selector:\n    matchLabels: {app: ssa}\n  template:\n    metadata:\n      labels: {app: ssa}\n    spec:\n      containers:\n      - name: main\n        image: ${image}\n`;

const adminConfig = (): string => fixture().cluster.adminKubeconfig;
const run = (args: string[], stdin: string) => kubectl(adminConfig(), dir, args, { stdin });

async function stored(): Promise<Deployment> {
  const viaCtl = await fixture().cluster.ctl(['get', 'deployment', 'ssa', '-o', 'json']);
  expect(viaCtl.code, viaCtl.stderr).toBe(0);
  return JSON.parse(viaCtl.stdout) as Deployment;
}

describe('kubectl apply --server-side', () => {
  test('creates, updates, reports a second manager’s conflict as Kubernetes does, and --force-conflicts takes the field', async () => {
    const created = await run(['apply', '--server-side', '-f', '-'], deployment(1, 'busybox:1.36'));
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/deployment.apps\/ssa serverside-applied/);
    const first = await stored();
    expect(first.metadata.managedFields?.map((entry) => [entry.manager, entry.operation])).toEqual([['kubectl', 'Apply']]);
    expect(first.metadata.managedFields?.[0]?.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {} } } } } } });

    const updated = await run(['apply', '--server-side', '-f', '-'], deployment(2, 'busybox:1.37'));
    expect(updated.code, updated.stderr).toBe(0);
    const second = await stored();
    expect(second.spec.replicas).toBe(2);
    expect(second.spec.template.spec.containers[0]?.image).toBe('busybox:1.37');

    const conflicting = await run(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], deployment(5, 'busybox:1.37'));
    expect(conflicting.code).not.toBe(0);
    expect(conflicting.stderr).toMatch(/^error: Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas$/m);
    expect(conflicting.stderr).toMatch(/--force-conflicts/);
    expect((await stored()).spec.replicas).toBe(2);

    // The same value from a third manager is shared ownership: recorded, no conflict; then both conflict.
    const sharing = await run(['apply', '--server-side', '--field-manager', 'sharer', '-f', '-'], 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\n  namespace: default\nspec:\n  replicas: 2\n');
    expect(sharing.code, sharing.stderr).toBe(0);
    expect((await stored()).metadata.managedFields?.map((entry) => entry.manager)).toEqual(['kubectl', 'sharer']);
    const twice = await run(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], deployment(5, 'busybox:1.37'));
    expect(twice.stderr).toMatch(/^error: Apply failed with 2 conflicts: conflicts with "kubectl":\n- \.spec\.replicas\nconflicts with "sharer":\n- \.spec\.replicas$/m);

    const forced = await run(['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', '-'], deployment(5, 'busybox:1.37'));
    expect(forced.code, forced.stderr).toBe(0);
    const taken = await stored();
    expect(taken.spec.replicas).toBe(5);
    const owners = (manager: string): ManagedFieldsEntry | undefined => taken.metadata.managedFields?.find((entry) => entry.manager === manager);
    expect(owners('other')?.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {} } });
    expect(owners('kubectl')?.fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
    expect(owners('sharer')).toBeUndefined();
  });

  test('the conflict is a 409 Status with FieldManagerConflict causes; a missing fieldManager is a 400', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-raw', namespace: 'default' }, data: { colour: 'blue' } });
    const path = '/api/v1/namespaces/default/configmaps/ssa-raw';
    const contentType = 'application/apply-patch+yaml';
    const cluster = fixture().cluster;
    const created = await restRequest(cluster, 'PATCH', `${path}?fieldManager=first`, { body, contentType });
    expect(created.status, created.text).toBe(200);
    const conflict = await restRequest(cluster, 'PATCH', `${path}?fieldManager=second`, { body: body.replace('blue', 'red'), contentType });
    expect(conflict.status).toBe(409);
    expect(JSON.parse(conflict.text)).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "first"', field: '.data.colour' }] },
    });
    const anonymous = await restRequest(cluster, 'PATCH', path, { body, contentType });
    expect(anonymous.status, anonymous.text).toBe(400);
    expect(anonymous.text).toMatch(/fieldManager is required/);
    const malformed = await restRequest(cluster, 'PATCH', `${path}?fieldManager=first`, { body: 'data: [unclosed', contentType });
    expect(malformed.status, malformed.text).toBe(400);
    const invalid = await restRequest(cluster, 'PATCH', `${path}?fieldManager=first`, { body: body.replace('"colour":"blue"', '"colour":7'), contentType });
    expect(invalid.status, invalid.text).toBe(422);
  });
});
