import { status } from '@grpc/grpc-js';
import { PermissionDeniedError, RBAC_API_GROUP, type ClusterRole, type ClusterRoleBinding, type Pod, type PolicyRule, type Role, type RoleBinding, type Subject } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { Authorizer } from './authorizer.js';
import { bootstrapRbacObjects } from './default-roles.js';
import { serviceAccountUser, type UserInfo } from './identity.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { RbacAuthorizer } from './rbac.js';
import type { Decision, RequestAttributes } from './request-attributes.js';

// --- a small cluster's RBAC objects and pods ---------------------------------------

const V = 'rbac.authorization.k8s.io/v1' as const;
const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const userSubject = (name: string): Subject => ({ kind: 'User', name, apiGroup: RBAC_API_GROUP });

const role = (namespace: string, name: string, rules: PolicyRule[]): Role => ({ apiVersion: V, kind: 'Role', metadata: { name, namespace }, rules });
const clusterRole = (name: string, rules: PolicyRule[], extra: Partial<ClusterRole> = {}): ClusterRole => ({
  apiVersion: V,
  kind: 'ClusterRole',
  metadata: { name },
  rules,
  ...extra,
});
const roleBinding = (namespace: string, name: string, roleRef: RoleBinding['roleRef'], subjects: Subject[]): RoleBinding => ({
  apiVersion: V,
  kind: 'RoleBinding',
  metadata: { name, namespace },
  roleRef,
  subjects,
});
const clusterRoleBinding = (name: string, roleName: string, subjects: Subject[]): ClusterRoleBinding => ({
  apiVersion: V,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: roleName },
  subjects,
});
const ref = (kind: 'Role' | 'ClusterRole', name: string) => ({ apiGroup: RBAC_API_GROUP, kind, name });

const bootstrap = bootstrapRbacObjects();
const clusterRoles: ClusterRole[] = [
  ...bootstrap.filter((o): o is ClusterRole => o.kind === 'ClusterRole'),
  clusterRole('node-reader', [{ apiGroups: [''], resources: ['nodes', 'nodes/status'], verbs: ['get', 'list', 'watch'] }]),
  clusterRole('impersonate-bob', [{ apiGroups: [''], resources: ['users'], resourceNames: ['bob'], verbs: ['impersonate'] }]),
  clusterRole('monitoring', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-monitoring': 'true' } }] } }),
  {
    ...clusterRole('pod-metrics', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]),
    metadata: { name: 'pod-metrics', labels: { 'example.com/aggregate-to-monitoring': 'true' } },
  },
];
const clusterRoleBindings: ClusterRoleBinding[] = [
  ...bootstrap.filter((o): o is ClusterRoleBinding => o.kind === 'ClusterRoleBinding'),
  clusterRoleBinding('dave-nodes', 'node-reader', [userSubject('dave')]),
  clusterRoleBinding('devs-view', 'view', [{ kind: 'Group', name: 'devs', apiGroup: RBAC_API_GROUP }]),
  clusterRoleBinding('hank-monitoring', 'monitoring', [userSubject('hank')]),
  clusterRoleBinding('ivy-impersonates', 'impersonate-bob', [userSubject('ivy')]),
  // Nodes are never judged by RBAC: this binding must not widen what a node may do.
  clusterRoleBinding('nodes-view', 'view', [{ kind: 'Group', name: 'system:nodes', apiGroup: RBAC_API_GROUP }]),
];
const roles: Role[] = [
  role('shop', 'pod-reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]),
  role('shop', 'scaler', [{ apiGroups: ['apps'], resources: ['*/scale'], resourceNames: ['web'], verbs: ['update', 'patch'] }]),
];
const roleBindings: RoleBinding[] = [
  roleBinding('shop', 'viewers', ref('ClusterRole', 'view'), [userSubject('jane')]),
  roleBinding('shop', 'read-pods', ref('Role', 'pod-reader'), [userSubject('bob')]),
  roleBinding('shop', 'scale-web', ref('Role', 'scaler'), [userSubject('carol')]),
  roleBinding('shop', 'ci-edit', ref('ClusterRole', 'edit'), [{ kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }]),
  roleBinding('shop', 'erin-admin', ref('ClusterRole', 'admin'), [userSubject('erin')]),
  roleBinding('shop', 'default-reads-config', ref('ClusterRole', 'view'), [{ kind: 'ServiceAccount', name: 'default' }]),
];

const pod = (namespace: string, name: string, nodeName: string, spec: Record<string, unknown> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'app', image: 'busybox' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, nodeName, ...spec },
});
const pods = [
  pod('shop', 'web-1', 'node-a', { imagePullSecrets: [{ name: 'registry' }], volumes: [{ name: 'db', secret: { secretName: 'db' } }] }),
  pod('shop', 'api-1', 'node-b', { volumes: [{ name: 'keys', secret: { secretName: 'api-keys' } }] }),
];

const authorizer = new Authorizer(
  new NodeAuthorizer({
    podsOnNode: (node) => pods.filter((p) => p.spec.nodeName === node),
    pod: (namespace, name) => pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
  }),
  new RbacAuthorizer({
    roles: (namespace) => roles.filter((r) => r.metadata.namespace === namespace),
    roleBindings: (namespace) => roleBindings.filter((b) => b.metadata.namespace === namespace),
    clusterRoles: () => clusterRoles,
    clusterRoleBindings: () => clusterRoleBindings,
  }),
);

// --- who may do what ---------------------------------------------------------------

const admin = user('admin', 'system:masters');
const jane = user('jane');
const bob = user('bob');
const carol = user('carol');
const dave = user('dave');
const erin = user('erin');
const gina = user('gina', 'devs');
const hank = user('hank');
const mallory = user('mallory');
const ci = serviceAccountUser('tools', 'ci');
const shopDefault = serviceAccountUser('shop', 'default');
const otherDefault = serviceAccountUser('other', 'default');
const nodeA = user('system:node:node-a', 'system:nodes');

const core = (verb: RequestAttributes['verb'], resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
  verb,
  apiGroup: '',
  resource,
  ...extra,
});
const apps = (verb: RequestAttributes['verb'], resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
  verb,
  apiGroup: 'apps',
  resource,
  ...extra,
});
const shop = { namespace: 'shop' };

type Expected = { allowed: string } | { denied: string };

const CASES: [string, UserInfo, RequestAttributes, Expected][] = [
  ['admin deletes a node', admin, core('delete', 'nodes', { name: 'node-a' }), { allowed: 'user "admin" is in group "system:masters"' }],
  ['admin reads a secret', admin, core('get', 'secrets', { ...shop, name: 'db' }), { allowed: 'user "admin" is in group "system:masters"' }],
  ['a viewer gets pods', jane, core('get', 'pods', { ...shop, name: 'web-1' }), { allowed: 'RBAC: allowed by RoleBinding "viewers/shop" of ClusterRole "view" to User "jane"' }],
  ['a viewer lists deployments', jane, apps('list', 'deployments', shop), { allowed: 'RBAC: allowed by RoleBinding "viewers/shop" of ClusterRole "view" to User "jane"' }],
  ['a viewer reads pod logs', jane, core('get', 'pods', { ...shop, subresource: 'log', name: 'web-1' }), { allowed: 'RBAC: allowed by RoleBinding "viewers/shop" of ClusterRole "view" to User "jane"' }],
  ['a viewer deletes', jane, apps('delete', 'deployments', { ...shop, name: 'web' }), { denied: 'user "jane" cannot delete deployments "web" in namespace "shop"' }],
  ['a viewer deletes (unnamed)', jane, apps('delete', 'deployments', shop), { denied: 'user "jane" cannot delete deployments in namespace "shop"' }],
  ['a viewer reads a secret', jane, core('get', 'secrets', { ...shop, name: 'db' }), { denied: 'user "jane" cannot get secrets "db" in namespace "shop"' }],
  ['a viewer execs', jane, core('create', 'pods', { ...shop, subresource: 'exec', name: 'web-1' }), { denied: 'user "jane" cannot create pods/exec "web-1" in namespace "shop"' }],
  ['a user bound in shop reads another namespace', jane, core('get', 'pods', { namespace: 'other', name: 'x' }), { denied: 'user "jane" cannot get pods "x" in namespace "other"' }],
  ['a user bound in shop lists every namespace', jane, core('list', 'pods'), { denied: 'user "jane" cannot list pods at the cluster scope' }],
  ['a Role grants in its namespace', bob, core('list', 'pods', shop), { allowed: 'RBAC: allowed by RoleBinding "read-pods/shop" of Role "pod-reader" to User "bob"' }],
  ['a Role grants only its verbs', bob, core('delete', 'pods', { ...shop, name: 'web-1' }), { denied: 'user "bob" cannot delete pods "web-1" in namespace "shop"' }],
  ['a Role grants not its subresources', bob, core('get', 'pods', { ...shop, subresource: 'log', name: 'web-1' }), { denied: 'user "bob" cannot get pods/log "web-1" in namespace "shop"' }],
  ['*/scale with resourceNames allows the named one', carol, apps('update', 'deployments', { ...shop, subresource: 'scale', name: 'web' }), { allowed: 'RBAC: allowed by RoleBinding "scale-web/shop" of Role "scaler" to User "carol"' }],
  ['*/scale with resourceNames refuses another name', carol, apps('update', 'deployments', { ...shop, subresource: 'scale', name: 'api' }), { denied: 'user "carol" cannot update deployments/scale "api" in namespace "shop"' }],
  ['*/scale is not the resource itself', carol, apps('update', 'deployments', { ...shop, name: 'web' }), { denied: 'user "carol" cannot update deployments "web" in namespace "shop"' }],
  ['a ServiceAccount bound from another namespace edits', ci, apps('create', 'deployments', shop), { allowed: 'RBAC: allowed by RoleBinding "ci-edit/shop" of ClusterRole "edit" to ServiceAccount "tools/ci"' }],
  ['edit reads secrets', ci, core('get', 'secrets', { ...shop, name: 'db' }), { allowed: 'RBAC: allowed by RoleBinding "ci-edit/shop" of ClusterRole "edit" to ServiceAccount "tools/ci"' }],
  ['edit writes no roles', ci, { verb: 'create', apiGroup: RBAC_API_GROUP, resource: 'roles', ...shop }, { denied: 'user "system:serviceaccount:tools:ci" cannot create roles in namespace "shop"' }],
  ['edit is not granted in its own namespace', ci, apps('create', 'deployments', { namespace: 'tools' }), { denied: 'user "system:serviceaccount:tools:ci" cannot create deployments in namespace "tools"' }],
  ['admin binds roles in its namespace', erin, { verb: 'create', apiGroup: RBAC_API_GROUP, resource: 'rolebindings', ...shop }, { allowed: 'RBAC: allowed by RoleBinding "erin-admin/shop" of ClusterRole "admin" to User "erin"' }],
  ['a namespace admin deletes no namespace', erin, core('delete', 'namespaces', { name: 'shop' }), { denied: 'user "erin" cannot delete namespaces "shop" at the cluster scope' }],
  ['a ClusterRoleBinding grants cluster-scoped reads', dave, core('get', 'nodes', { name: 'node-a' }), { allowed: 'RBAC: allowed by ClusterRoleBinding "dave-nodes" of ClusterRole "node-reader" to User "dave"' }],
  ['and subresources it names', dave, core('get', 'nodes', { name: 'node-a', subresource: 'status' }), { allowed: 'RBAC: allowed by ClusterRoleBinding "dave-nodes" of ClusterRole "node-reader" to User "dave"' }],
  ['but no other verbs', dave, core('delete', 'nodes', { name: 'node-a' }), { denied: 'user "dave" cannot delete nodes "node-a" at the cluster scope' }],
  ['a group binding reads across namespaces', gina, core('list', 'pods'), { allowed: 'RBAC: allowed by ClusterRoleBinding "devs-view" of ClusterRole "view" to Group "devs"' }],
  ['a group binding to view writes nothing', gina, core('delete', 'pods', { ...shop, name: 'web-1' }), { denied: 'user "gina" cannot delete pods "web-1" in namespace "shop"' }],
  ['an aggregated ClusterRole grants what it selects', hank, core('get', 'pods', { ...shop, name: 'web-1' }), { allowed: 'RBAC: allowed by ClusterRoleBinding "hank-monitoring" of ClusterRole "monitoring" to User "hank"' }],
  ['an aggregated ClusterRole grants no more', hank, core('delete', 'pods', { ...shop, name: 'web-1' }), { denied: 'user "hank" cannot delete pods "web-1" in namespace "shop"' }],
  ['a ServiceAccount subject without namespace is of the binding namespace', shopDefault, core('get', 'configmaps', { ...shop, name: 'settings' }), { allowed: 'RBAC: allowed by RoleBinding "default-reads-config/shop" of ClusterRole "view" to ServiceAccount "shop/default"' }],
  ['a ServiceAccount of the same name elsewhere is not', otherDefault, core('get', 'configmaps', { ...shop, name: 'settings' }), { denied: 'user "system:serviceaccount:other:default" cannot get configmaps "settings" in namespace "shop"' }],
  ['a user without bindings', mallory, core('get', 'pods', { ...shop, name: 'web-1' }), { denied: 'user "mallory" cannot get pods "web-1" in namespace "shop"' }],
  ['a node reads a Secret its pod mounts', nodeA, core('get', 'secrets', { ...shop, name: 'db' }), { allowed: 'node "node-a" may get secrets that pods bound to it reference' }],
  ['a node reads a Secret its pods do not use', nodeA, core('get', 'secrets', { ...shop, name: 'api-keys' }), { denied: 'user "system:node:node-a" cannot get secrets "api-keys" in namespace "shop"' }],
  ['a node watches its own pods', nodeA, core('watch', 'pods', { nodeName: 'node-a' }), { allowed: 'node "node-a" may watch the pods bound to it' }],
  ["a node watches another node's pods", nodeA, core('watch', 'pods', { nodeName: 'node-b' }), { denied: 'user "system:node:node-a" cannot watch pods at the cluster scope' }],
  ['a node reports status for a pod it does not run', nodeA, core('update', 'pods', { ...shop, name: 'api-1', subresource: 'status' }), { denied: 'user "system:node:node-a" cannot update pods/status "api-1" in namespace "shop"' }],
  ['a node reports status for its pod', nodeA, core('update', 'pods', { ...shop, name: 'web-1', subresource: 'status' }), { allowed: 'node "node-a" may update the status of pods bound to it' }],
  ['a node applies a deployment', nodeA, apps('create', 'deployments', shop), { denied: 'user "system:node:node-a" cannot create deployments in namespace "shop"' }],
  ['RBAC never widens what a node may do', nodeA, core('list', 'configmaps', shop), { denied: 'user "system:node:node-a" cannot list configmaps in namespace "shop"' }],
  ['a node lists every Service (service proxy, DNS)', nodeA, core('list', 'services', shop), { allowed: 'node "node-a" may list services (for its service proxy and DNS)' }],
];

describe('Authorizer', () => {
  it('has a table of at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)('%s', (_label, who, attrs, expected) => {
    const decision: Decision = authorizer.authorize(who, attrs);
    if ('allowed' in expected) {
      expect(decision).toEqual({ allowed: true, reason: expected.allowed });
      expect(() => authorizer.require(who, attrs)).not.toThrow();
    } else {
      expect(decision.allowed).toBe(false);
      expect(() => authorizer.require(who, attrs)).toThrow(new PermissionDeniedError(expected.denied));
    }
  });

  it('says which bindings matched nothing and which refer to missing roles', () => {
    const broken = new Authorizer(
      new NodeAuthorizer({ podsOnNode: () => [], pod: () => undefined }),
      new RbacAuthorizer({
        roles: () => [],
        roleBindings: () => [roleBinding('shop', 'stale', ref('Role', 'gone'), [userSubject('jane')])],
        clusterRoles: () => [],
        clusterRoleBindings: () => [clusterRoleBinding('old', 'removed', [userSubject('jane')])],
      }),
    );
    expect(broken.authorize(jane, core('get', 'pods', shop))).toEqual({
      allowed: false,
      reason:
        'RBAC: no ClusterRoleBinding, nor RoleBinding in namespace "shop", grants it; ClusterRoleBinding "old" refers to ClusterRole "removed", which does not exist; ' +
        'RoleBinding "stale/shop" refers to Role "gone", which does not exist in namespace "shop"',
    });
    expect(broken.authorize(jane, core('get', 'nodes'))).toEqual({
      allowed: false,
      reason: 'RBAC: no ClusterRoleBinding grants it; ClusterRoleBinding "old" refers to ClusterRole "removed", which does not exist',
    });
  });

  it('throws a PermissionDeniedError carrying PERMISSION_DENIED', () => {
    let caught: unknown;
    try {
      authorizer.require(jane, apps('delete', 'deployments', shop));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PermissionDeniedError);
    expect((caught as PermissionDeniedError).code).toBe(status.PERMISSION_DENIED);
  });
});

describe('Authorizer.canI', () => {
  const ivy = user('ivy');

  it('answers for the caller without impersonation', () => {
    expect(authorizer.canI(jane, core('get', 'pods', shop))).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "viewers/shop" of ClusterRole "view" to User "jane"' });
    expect(authorizer.canI(jane, core('delete', 'pods', shop))).toEqual({ allowed: false, reason: 'RBAC: no ClusterRoleBinding, nor RoleBinding in namespace "shop", grants it' });
  });

  it('answers for another user when the caller may impersonate it', () => {
    expect(authorizer.canI(ivy, core('list', 'pods', shop), { name: 'bob', groups: [] })).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "read-pods/shop" of Role "pod-reader" to User "bob"',
    });
    expect(authorizer.canI(ivy, core('delete', 'pods', shop), { name: 'bob', groups: [] }).allowed).toBe(false);
    expect(authorizer.canI(admin, core('create', 'deployments', shop), { name: 'jane', groups: [] }).allowed).toBe(false);
  });

  it('refuses to answer for a user the caller may not impersonate', () => {
    expect(() => authorizer.canI(ivy, core('get', 'pods', shop), { name: 'jane', groups: [] })).toThrow(
      new PermissionDeniedError('user "ivy" cannot impersonate users "jane" at the cluster scope'),
    );
    expect(() => authorizer.canI(ivy, core('get', 'pods', shop), { name: 'bob', groups: ['system:masters'] })).toThrow(
      new PermissionDeniedError('user "ivy" cannot impersonate groups "system:masters" at the cluster scope'),
    );
    expect(() => authorizer.canI(jane, core('get', 'pods', shop), { name: 'system:serviceaccount:tools:ci', groups: [] })).toThrow(
      new PermissionDeniedError('user "jane" cannot impersonate serviceaccounts "ci" in namespace "tools"'),
    );
  });

  it('gives an impersonated ServiceAccount its groups; "*" matches only rules granting "*"', () => {
    // edit may impersonate ServiceAccounts of its namespace; admin may impersonate anyone.
    expect(authorizer.canI(admin, apps('create', 'deployments', shop), { name: 'system:serviceaccount:tools:ci', groups: [] }).allowed).toBe(true);
    expect(authorizer.canI(ci, core('get', 'configmaps', shop), { name: 'system:serviceaccount:shop:default', groups: [] }).allowed).toBe(true);
    expect(authorizer.canI(jane, { verb: '*', apiGroup: '', resource: 'pods', ...shop }).allowed).toBe(false);
    expect(authorizer.canI(admin, { verb: '*', apiGroup: '*', resource: '*' }, { name: 'root', groups: ['system:masters'] }).allowed).toBe(true);
  });
});
