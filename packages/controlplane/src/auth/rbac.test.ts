import { RBAC_API_GROUP, type ClusterRole, type PolicyRule, type Subject } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { serviceAccountUser } from './identity.js';
import { RbacAuthorizer, ruleAllows, subjectMatches } from './rbac.js';
import type { Query } from './request-attributes.js';

const q = (verb: Query['verb'], apiGroup: string, resource: string, extra: Partial<Query> = {}): Query => ({ verb, apiGroup, resource, ...extra });

describe('ruleAllows', () => {
  const pods: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
  it.each<[string, PolicyRule, Query, boolean]>([
    ['its verb and resource', pods, q('get', '', 'pods', { name: 'x' }), true],
    ['another verb', pods, q('delete', '', 'pods', { name: 'x' }), false],
    ['another group', pods, q('get', 'apps', 'pods'), false],
    ['a subresource of its resource', pods, q('get', '', 'pods', { subresource: 'log' }), false],
    ['"*" verbs', { ...pods, verbs: ['*'] }, q('deletecollection', '', 'pods'), true],
    ['"*" groups', { ...pods, apiGroups: ['*'] }, q('get', 'apps', 'pods'), true],
    ['"*" resources, subresources included', { ...pods, resources: ['*'] }, q('get', '', 'pods', { subresource: 'log' }), true],
    ['"pods/log"', { ...pods, resources: ['pods/log'] }, q('get', '', 'pods', { subresource: 'log' }), true],
    ['"pods/log" is not pods', { ...pods, resources: ['pods/log'] }, q('get', '', 'pods'), false],
    ['"*/scale"', { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['update'] }, q('update', 'apps', 'deployments', { subresource: 'scale' }), true],
    ['"*/scale" is not status', { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['update'] }, q('update', 'apps', 'deployments', { subresource: 'status' }), false],
    ['resourceNames with the name', { ...pods, resourceNames: ['a'] }, q('get', '', 'pods', { name: 'a' }), true],
    ['resourceNames with another name', { ...pods, resourceNames: ['a'] }, q('get', '', 'pods', { name: 'b' }), false],
    ['resourceNames and no name (list)', { ...pods, resourceNames: ['a'] }, q('list', '', 'pods'), false],
    ['a "*" query against named verbs', pods, q('*', '', 'pods'), false],
    ['a "*" query against "*"', { ...pods, verbs: ['*'] }, q('*', '', 'pods'), true],
    ['a non-resource rule', { nonResourceURLs: ['*'], verbs: ['*'] }, q('get', '', 'pods'), false],
  ])('%s → %s', (_label, rule, query, allowed) => {
    expect(ruleAllows(rule, query)).toBe(allowed);
  });
});

describe('subjectMatches', () => {
  const jane = { name: 'jane', groups: ['devs', 'system:authenticated'] };
  const ci = serviceAccountUser('tools', 'ci');
  it.each<[string, Subject, string | undefined, boolean]>([
    ['a User by name', { kind: 'User', name: 'jane' }, undefined, true],
    ['another User', { kind: 'User', name: 'joe' }, undefined, false],
    ['a Group jane is in', { kind: 'Group', name: 'devs' }, undefined, true],
    ['a Group named like her', { kind: 'Group', name: 'jane' }, undefined, false],
  ])('jane: %s → %s', (_label, subject, namespace, matches) => {
    expect(subjectMatches(subject, jane, namespace)).toBe(matches);
  });
  it.each<[string, Subject, string | undefined, boolean]>([
    ['with its namespace', { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }, 'shop', true],
    ['in the binding namespace', { kind: 'ServiceAccount', name: 'ci' }, 'tools', true],
    ['of another binding namespace', { kind: 'ServiceAccount', name: 'ci' }, 'shop', false],
    ['without any namespace (a ClusterRoleBinding)', { kind: 'ServiceAccount', name: 'ci' }, undefined, false],
    ['as a User by its full name', { kind: 'User', name: 'system:serviceaccount:tools:ci' }, undefined, true],
    ['by its namespace group', { kind: 'Group', name: 'system:serviceaccounts:tools' }, undefined, true],
  ])('ServiceAccount tools/ci: %s → %s', (_label, subject, namespace, matches) => {
    expect(subjectMatches(subject, ci, namespace)).toBe(matches);
  });
});

describe('RbacAuthorizer aggregation', () => {
  const V = 'rbac.authorization.k8s.io/v1' as const;
  const role = (name: string, labels: Record<string, string>, rules: PolicyRule[], selectors?: Record<string, string>[]): ClusterRole => ({
    apiVersion: V,
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules,
    ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors.map((matchLabels) => ({ matchLabels })) } } : {}),
  });
  const roles = [
    role('a', { agg: 'b' }, [], [{ agg: 'a' }]),
    role('b', { agg: 'a' }, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], [{ agg: 'b' }]),
    role('c', { agg: 'a' }, [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }]),
    role('empty', {}, [], []),
  ];
  const rbac = new RbacAuthorizer({
    roles: () => [],
    roleBindings: () => [],
    clusterRoles: () => roles,
    clusterRoleBindings: () =>
      ['a', 'empty'].map((name) => ({
        apiVersion: V,
        kind: 'ClusterRoleBinding' as const,
        metadata: { name },
        roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole' as const, name },
        subjects: [{ kind: 'User' as const, name: `user-${name}` }],
      })),
  });
  const user = (name: string) => ({ name, groups: [] });

  it('grants the rules of the roles its selectors select, through cycles, once', () => {
    expect(rbac.authorize(user('user-a'), q('get', '', 'pods')).allowed).toBe(true);
    expect(rbac.authorize(user('user-a'), q('get', '', 'services')).allowed).toBe(true);
    expect(rbac.authorize(user('user-a'), q('delete', '', 'pods')).allowed).toBe(false);
  });

  it('selects nothing with no selectors', () => {
    expect(rbac.authorize(user('user-empty'), q('get', '', 'pods')).allowed).toBe(false);
  });
});
