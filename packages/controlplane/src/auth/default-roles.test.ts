import { RBAC_API_GROUP, validateManifest, type ClusterRole, type ClusterRoleBinding } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { bootstrapRbacObjects } from './default-roles.js';
import { RbacAuthorizer } from './rbac.js';
import type { Query } from './request-attributes.js';

const objects = bootstrapRbacObjects();
const clusterRoles = objects.filter((o): o is ClusterRole => o.kind === 'ClusterRole');

/** Who holds each default role: user "<role>-user", bound in namespace shop (cluster-admin cluster-wide). */
const rbac = new RbacAuthorizer({
  roles: () => [],
  roleBindings: (namespace) =>
    namespace === 'shop'
      ? ['admin', 'edit', 'view'].map((name) => ({
          apiVersion: 'rbac.authorization.k8s.io/v1' as const,
          kind: 'RoleBinding' as const,
          metadata: { name: `${name}-user`, namespace },
          roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole' as const, name },
          subjects: [{ kind: 'User' as const, name: `${name}-user` }],
        }))
      : [],
  clusterRoles: () => clusterRoles,
  clusterRoleBindings: () => objects.filter((o): o is ClusterRoleBinding => o.kind === 'ClusterRoleBinding'),
});
const can = (role: string, query: Query): boolean => rbac.authorize({ name: `${role}-user`, groups: role === 'cluster-admin' ? ['system:masters'] : [] }, query).allowed;
const inShop = (verb: Query['verb'], apiGroup: string, resource: string, subresource?: string): Query => ({
  verb,
  apiGroup,
  resource,
  namespace: 'shop',
  ...(subresource ? { subresource } : {}),
});

describe('bootstrapRbacObjects', () => {
  it('are ClusterRoles cluster-admin, admin, edit, view, the metrics reader and the cluster-admin binding of system:masters', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ClusterRole/cluster-admin',
      'ClusterRole/admin',
      'ClusterRole/edit',
      'ClusterRole/view',
      'ClusterRole/system:aggregated-metrics-reader',
      'ClusterRoleBinding/cluster-admin',
    ]);
    const binding = objects[5] as ClusterRoleBinding;
    expect(binding.roleRef).toEqual({ apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: 'cluster-admin' });
    expect(binding.subjects).toEqual([{ kind: 'Group', name: 'system:masters', apiGroup: RBAC_API_GROUP }]);
  });

  it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))('%s is a valid manifest, labelled as Kubernetes labels its own', (_name, object) => {
    const result = validateManifest(object);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.object).toEqual(object);
    expect(object.metadata.labels?.['kubernetes.io/bootstrapping']).toBe('rbac-defaults');
    const others = Object.keys(object.metadata.labels ?? {}).filter((key) => key !== 'kubernetes.io/bootstrapping');
    expect(others).toEqual(object.metadata.name === 'system:aggregated-metrics-reader' ? ['rbac.authorization.k8s.io/aggregate-to-admin', 'rbac.authorization.k8s.io/aggregate-to-edit', 'rbac.authorization.k8s.io/aggregate-to-view'] : []);
  });

  it('returns fresh objects each time', () => {
    const first = bootstrapRbacObjects()[1] as ClusterRole;
    first.rules?.push({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] });
    expect((bootstrapRbacObjects()[1] as ClusterRole).rules).toHaveLength(first.rules!.length - 1);
  });

  it.each<[string, Query, Record<string, boolean>]>([
    ['read pods', inShop('list', '', 'pods'), { view: true, edit: true, admin: true }],
    ['read pod logs', inShop('get', '', 'pods', 'log'), { view: true, edit: true, admin: true }],
    ['read deployments', inShop('get', 'apps', 'deployments'), { view: true, edit: true, admin: true }],
    ['read replicasets', inShop('list', 'apps', 'replicasets'), { view: true, edit: true, admin: true }],
    ['write replicasets', inShop('update', 'apps', 'replicasets'), { view: false, edit: true, admin: true }],
    ['read horizontalpodautoscalers', inShop('list', 'autoscaling', 'horizontalpodautoscalers'), { view: true, edit: true, admin: true }],
    ['write horizontalpodautoscalers', inShop('create', 'autoscaling', 'horizontalpodautoscalers'), { view: false, edit: true, admin: true }],
    ['write horizontalpodautoscaler status', inShop('update', 'autoscaling', 'horizontalpodautoscalers', 'status'), { view: false, edit: false, admin: false }],
    ['write replicaset status', inShop('update', 'apps', 'replicasets', 'status'), { view: false, edit: false, admin: false }],
    ['read daemonsets', inShop('list', 'apps', 'daemonsets'), { view: true, edit: true, admin: true }],
    ['write daemonsets', inShop('update', 'apps', 'daemonsets'), { view: false, edit: true, admin: true }],
    ['write daemonset status', inShop('update', 'apps', 'daemonsets', 'status'), { view: false, edit: false, admin: false }],
    ['read jobs', inShop('list', 'batch', 'jobs'), { view: true, edit: true, admin: true }],
    ['write cronjobs', inShop('create', 'batch', 'cronjobs'), { view: false, edit: true, admin: true }],
    ['write job status', inShop('update', 'batch', 'jobs', 'status'), { view: false, edit: false, admin: false }],
    ['read events', inShop('list', '', 'events'), { view: true, edit: true, admin: true }],
    ['read services', inShop('watch', '', 'services'), { view: true, edit: true, admin: true }],
    ['write services', inShop('create', '', 'services'), { view: false, edit: true, admin: true }],
    ['read endpointslices', inShop('list', 'discovery.k8s.io', 'endpointslices'), { view: true, edit: true, admin: true }],
    ['write endpointslices', inShop('update', 'discovery.k8s.io', 'endpointslices'), { view: false, edit: false, admin: false }],
    ['delete endpointslices', inShop('delete', 'discovery.k8s.io', 'endpointslices'), { view: false, edit: false, admin: false }],
    ['read secrets', inShop('get', '', 'secrets'), { view: false, edit: true, admin: true }],
    ['exec into pods', inShop('create', '', 'pods', 'exec'), { view: false, edit: true, admin: true }],
    ['apply deployments', inShop('create', 'apps', 'deployments'), { view: false, edit: true, admin: true }],
    ['scale deployments', inShop('update', 'apps', 'deployments', 'scale'), { view: false, edit: true, admin: true }],
    ['write secrets', inShop('update', '', 'secrets'), { view: false, edit: true, admin: true }],
    ['issue ServiceAccount tokens', inShop('create', '', 'serviceaccounts', 'token'), { view: false, edit: true, admin: true }],
    ['delete configmaps', inShop('delete', '', 'configmaps'), { view: false, edit: true, admin: true }],
    ['read roles', inShop('get', RBAC_API_GROUP, 'roles'), { view: false, edit: false, admin: true }],
    ['write rolebindings', inShop('create', RBAC_API_GROUP, 'rolebindings'), { view: false, edit: false, admin: true }],
    ['write deployment status', inShop('update', 'apps', 'deployments', 'status'), { view: false, edit: false, admin: false }],
    ['write clusterroles', { verb: 'create', apiGroup: RBAC_API_GROUP, resource: 'clusterroles' }, { view: false, edit: false, admin: false }],
    ['read pod metrics', inShop('list', 'metrics.k8s.io', 'pods'), { view: true, edit: true, admin: true }],
    ['read node metrics', { verb: 'get', apiGroup: 'metrics.k8s.io', resource: 'nodes', name: 'node-a' }, { view: false, edit: false, admin: false }],
    ['delete nodes', { verb: 'delete', apiGroup: '', resource: 'nodes', name: 'node-a' }, { view: false, edit: false, admin: false }],
  ])('%s', (_label, query, expected) => {
    expect({ view: can('view', query), edit: can('edit', query), admin: can('admin', query) }).toEqual(expected);
    expect(can('cluster-admin', query)).toBe(true);
  });
});
