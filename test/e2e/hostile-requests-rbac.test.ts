// Hostile requests, part 4: what authenticated users may not do. jane views
// the whole cluster (ClusterRoleBinding to view); bob edits namespace team-a
// only (RoleBinding to edit). They try to delete, read Secrets, cross
// namespaces and grant themselves more; `ctl auth can-i` answers for them;
// and the audit log records the denied writes, never the reads. Every refusal
// is checked word for word, and every attempted write is read back as the admin.
import { readFileSync } from 'node:fs';
import type { Deployment } from '@skiff/api';
import { runCtl, waitFor } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { refusal, unary } from '../harness/grpc-calls.js';
import { useHostileCluster, type Identity } from '../harness/hostile-cluster.js';
import { clusterRoleBinding, configMap, deployment, namespace, roleBinding, secret, user } from '../harness/hostile-objects.js';
import { applyWith, deleteWith, getWith, listWith, watchWith } from '../harness/skiff-calls.js';

const fixture = useHostileCluster();
const SECRET_VALUE = 'db-password-never-logged';

let jane: Identity;
let bob: Identity;

beforeAll(async () => {
  const { apply, user: issue, allowedSoon } = fixture();
  await apply(
    namespace('shop'),
    namespace('team-a'),
    namespace('team-b'),
    deployment('shop', 'web'),
    secret('shop', 'db', { password: SECRET_VALUE }),
    configMap('team-b', 'settings'),
    clusterRoleBinding('jane-views', 'view', [user('jane')]),
    roleBinding('team-a', 'bob-edits', 'edit', [user('bob')]),
  );
  jane = await issue('jane');
  bob = await issue('bob', ['developers']);
  await allowedSoon('jane', 'get', 'deployments.apps', 'shop');
  await allowedSoon('bob', 'create', 'configmaps', 'team-a');
});

const web = async () => fixture().read<Deployment>('Deployment', 'shop', 'web');
const denied = (details: string) => ({ code: 'PERMISSION_DENIED', details });

describe('hostile requests: a view user', () => {
  test('jane (view) deleting a deployment is PERMISSION_DENIED, and it stays', async () => {
    const { api } = fixture();
    const before = (await web())?.metadata.resourceVersion;
    expect(await refusal(deleteWith(api(jane), 'Deployment', 'shop', 'web'))).toEqual(denied('user "jane" cannot delete deployments "web" in namespace "shop"'));
    expect((await web())?.metadata.resourceVersion).toBe(before);
  });

  test('jane (view) is told the same by ctl, which exits 1', async () => {
    const result = await runCtl(fixture().kubeconfig('jane', jane), ['delete', 'deployment', 'web', '-n', 'shop']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error from server (Forbidden): user "jane" cannot delete deployments "web" in namespace "shop"\nerror: 1 of 1 objects were not deleted\n');
    expect(await web()).toBeDefined();
  });

  test('jane (view) reads deployments but no Secret: get, list and watch are denied', async () => {
    const { api } = fixture();
    expect(JSON.parse((await getWith(api(jane), 'Deployment', 'shop', 'web')).object_json)).toMatchObject({ metadata: { name: 'web' } });
    expect(await refusal(getWith(api(jane), 'Secret', 'shop', 'db'))).toEqual(denied('user "jane" cannot get secrets "db" in namespace "shop"'));
    expect(await refusal(listWith(api(jane), 'Secret', 'shop'))).toEqual(denied('user "jane" cannot list secrets in namespace "shop"'));
    expect(await refusal(watchWith(api(jane), 'Secret', 'shop'))).toEqual(denied('user "jane" cannot watch secrets in namespace "shop"'));
  });

  test('jane (view) can neither scale nor write', async () => {
    const { api, read } = fixture();
    const client = api(jane);
    expect(await refusal(unary((m, o, cb) => client.Scale({ ref: { kind: 'Deployment', namespace: 'shop', name: 'web' }, replicas: 5 }, m, o, cb)))).toEqual(
      denied('user "jane" cannot update deployments/scale "web" in namespace "shop"'),
    );
    expect(await refusal(applyWith(client, configMap('shop', 'from-jane')))).toEqual(denied('user "jane" cannot create configmaps "from-jane" in namespace "shop"'));
    expect((await web())?.spec.replicas).toBe(0);
    expect(await read('ConfigMap', 'shop', 'from-jane')).toBeUndefined();
  });
});

describe('hostile requests: a user bound in one namespace', () => {
  test('bob (edit in team-a) writes in team-a, but neither reads nor writes team-b', async () => {
    const { api, read } = fixture();
    expect((await applyWith(api(bob), configMap('team-a', 'from-bob'))).outcome).toBe('created');
    expect(await read('ConfigMap', 'team-a', 'from-bob')).toBeDefined();
    expect(await refusal(getWith(api(bob), 'ConfigMap', 'team-b', 'settings'))).toEqual(denied('user "bob" cannot get configmaps "settings" in namespace "team-b"'));
    expect(await refusal(listWith(api(bob), 'ConfigMap', 'team-b'))).toEqual(denied('user "bob" cannot list configmaps in namespace "team-b"'));
    expect(await refusal(applyWith(api(bob), configMap('team-b', 'from-bob')))).toEqual(denied('user "bob" cannot create configmaps "from-bob" in namespace "team-b"'));
    expect(await read('ConfigMap', 'team-b', 'from-bob')).toBeUndefined();
  });

  test('the metrics API (metrics.k8s.io) follows the roles: bob reads team-a’s PodMetrics only, jane (view cluster-wide) NodeMetrics too', async () => {
    const { api } = fixture();
    expect(await listWith(api(bob), 'PodMetrics', 'team-a')).toMatchObject({ items_json: [] });
    expect(await refusal(listWith(api(bob), 'pods.metrics.k8s.io', 'team-b'))).toEqual(denied('user "bob" cannot list pods in namespace "team-b"'));
    expect(await refusal(listWith(api(bob), 'NodeMetrics', ''))).toEqual(denied('user "bob" cannot list nodes at the cluster scope'));
    expect(await listWith(api(jane), 'NodeMetrics', '')).toMatchObject({ items_json: expect.any(Array) });
    expect(await refusal(getWith(api(jane), 'PodMetrics', 'shop', 'web-0'))).toEqual({
      code: 'NOT_FOUND',
      details: 'podmetrics.metrics.k8s.io "web-0" not found in namespace shop: metrics not available yet',
    });
  });

  test('bob (edit) cannot grant himself more: RoleBinding, ClusterRoleBinding, namespace deletion are denied', async () => {
    const { api, read } = fixture();
    const escalate = roleBinding('team-a', 'bob-admin', 'cluster-admin', [user('bob')]);
    expect(await refusal(applyWith(api(bob), escalate))).toEqual(denied('user "bob" cannot create rolebindings "bob-admin" in namespace "team-a"'));
    const everywhere = clusterRoleBinding('bob-everywhere', 'cluster-admin', [user('bob')]);
    expect(await refusal(applyWith(api(bob), everywhere))).toEqual(denied('user "bob" cannot create clusterrolebindings "bob-everywhere" at the cluster scope'));
    expect(await refusal(deleteWith(api(bob), 'Namespace', '', 'team-a'))).toEqual(denied('user "bob" cannot delete namespaces "team-a" at the cluster scope'));
    expect(await read('RoleBinding', 'team-a', 'bob-admin')).toBeUndefined();
    expect(await read('ClusterRoleBinding', '', 'bob-everywhere')).toBeUndefined();
    expect(await read('Namespace', '', 'team-a')).toBeDefined();
  });

  test("bob (edit in team-a) cannot mint a token for another namespace's ServiceAccount", async () => {
    const { api } = fixture();
    const client = api(bob);
    expect(await refusal(unary((m, o, cb) => client.CreateToken({ namespace: 'team-b', service_account: 'default', expiration_seconds: 600 }, m, o, cb)))).toEqual(
      denied('user "bob" cannot create serviceaccounts/token "default" in namespace "team-b"'),
    );
  });
});

describe('hostile requests: ctl auth can-i', () => {
  const canI = async (identity: Identity | undefined, args: readonly string[]) => {
    const { cluster, kubeconfig } = fixture();
    return runCtl(identity ? kubeconfig('asker', identity) : cluster.adminKubeconfig, ['auth', 'can-i', ...args]);
  };

  test.each([
    ['jane', 'get deployments -n shop', 'yes\n', 0],
    ['jane', 'delete deployments -n shop', 'no - RBAC: no ClusterRoleBinding, nor RoleBinding in namespace "shop", grants it\n', 1],
    ['jane', 'get secrets -n shop', 'no - RBAC: no ClusterRoleBinding, nor RoleBinding in namespace "shop", grants it\n', 1],
    ['bob', 'create configmaps -n team-a', 'yes\n', 0],
    ['bob', 'create configmaps -n team-b', 'no - RBAC: no ClusterRoleBinding, nor RoleBinding in namespace "team-b", grants it\n', 1],
  ])('%s: can-i %s', async (who, question, stdout, code) => {
    expect(await canI(who === 'jane' ? jane : bob, question.split(' '))).toMatchObject({ stdout, code });
  });

  test('--as needs impersonation rights: jane has none', async () => {
    const result = await canI(jane, ['get', 'secrets', '-n', 'shop', '--as', 'admin']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('Error from server (Forbidden): user "jane" cannot impersonate users "admin" at the cluster scope\n');
  });

  test("--as a ServiceAccount: edit impersonates its own namespace's accounts only", async () => {
    // Impersonation allowed: the answer is the account's own (it has no binding).
    expect(await canI(bob, ['list', 'secrets', '-n', 'team-a', '--as', 'system:serviceaccount:team-a:default'])).toMatchObject({
      code: 1,
      stdout: 'no - RBAC: no ClusterRoleBinding, nor RoleBinding in namespace "team-a", grants it\n',
      stderr: '',
    });
    const other = await canI(bob, ['list', 'secrets', '-n', 'team-b', '--as', 'system:serviceaccount:team-b:default']);
    expect(other).toMatchObject({ code: 1, stdout: '' });
    expect(other.stderr).toBe('Error from server (Forbidden): user "bob" cannot impersonate serviceaccounts "default" in namespace "team-b"\n');
  });

  test('the admin may ask for jane, and gets her answers', async () => {
    expect(await canI(undefined, ['get', 'deployments', '-n', 'shop', '--as', 'jane'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await canI(undefined, ['delete', 'deployments', '-n', 'shop', '--as', 'jane'])).toMatchObject({ code: 1, stdout: expect.stringMatching(/^no - /) });
  });
});

describe('hostile requests: the audit log', () => {
  interface AuditLine {
    user: string;
    verb: string;
    resource: string;
    namespace?: string;
    name?: string;
    code: string;
    method: string;
  }
  const auditLines = (): AuditLine[] =>
    readFileSync(fixture().auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditLine);

  test("records jane's denied delete with its code and user, and no read at all", async () => {
    const { api } = fixture();
    await refusal(deleteWith(api(jane), 'Deployment', 'shop', 'web'));
    await getWith(api(jane), 'Deployment', 'shop', 'web');
    await refusal(listWith(api(jane), 'Secret', 'shop'));
    const denial = await waitFor(
      () => auditLines().find((line) => line.user === 'jane' && line.verb === 'delete' && line.code === 'PERMISSION_DENIED'),
      { timeoutMs: 10_000, description: "the audit line of jane's denied delete" },
    );
    expect(denial).toMatchObject({ resource: 'deployments', namespace: 'shop', name: 'web', method: 'Delete' });
    const lines = auditLines();
    expect(lines.some((line) => line.user === 'admin' && line.verb === 'create' && line.code === 'OK')).toBe(true);
    expect(lines.filter((line) => ['get', 'list', 'watch'].includes(line.verb))).toEqual([]);
    expect(readFileSync(fixture().auditLog, 'utf8')).not.toContain(SECRET_VALUE);
  });
});
