import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveKind } from './kinds.js';
import type { ClusterRoleBinding, RoleBinding } from './rbac-types.js';
import type { Pod, ServiceAccount } from './types.js';
import { formatIssue, validateManifest } from './validate.js';

const validate = (text: string) => validateManifest(parse(text) as unknown);
const issues = (text: string): string[] => validate(text).errors.map(formatIssue);

const role = (rules: string) => `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: shop}
rules:
${rules}`;

const clusterRole = (body: string, name = 'team:viewer') => `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "${name}"}
${body}`;

const roleBinding = (subjects: string, roleRef = '{kind: Role, name: pod-reader}') => `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: shop}
roleRef: ${roleRef}
subjects:
${subjects}`;

const clusterRoleBinding = (subjects: string, roleRef = '{kind: ClusterRole, name: view}') => `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "viewers:all"}
roleRef: ${roleRef}
subjects:
${subjects}`;

describe('RBAC and ServiceAccount kinds', () => {
  it.each<[string, string, boolean]>([
    ['roles', 'Role', true],
    ['role.rbac.authorization.k8s.io', 'Role', true],
    ['clusterroles', 'ClusterRole', false],
    ['rolebinding', 'RoleBinding', true],
    ['clusterrolebindings.rbac.authorization.k8s.io', 'ClusterRoleBinding', false],
    ['sa', 'ServiceAccount', true],
    ['serviceaccounts', 'ServiceAccount', true],
  ])('%s resolves to %s (namespaced: %s)', (spelling, kind, namespaced) => {
    const info = resolveKind(spelling);
    expect(info?.kind).toBe(kind);
    expect(info?.namespaced).toBe(namespaced);
    expect(info?.userWritable).toBe(true);
  });
});

describe('valid RBAC manifests', () => {
  it('accept a Role with resource names and subresources, names with colons', () => {
    const result = validate(role('- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}\n- {apiGroups: [apps], resources: ["*/scale"], resourceNames: [web], verbs: [update]}'));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('accept a ClusterRole with non-resource URLs and an aggregationRule, and drop its namespace', () => {
    const result = validate(
      clusterRole(
        'metadata: {name: "system:monitoring", namespace: shop}\nrules:\n- {nonResourceURLs: [/metrics], verbs: [get]}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {example.com/aggregate-to-monitoring: "true"}',
      ).replace('metadata: {name: "team:viewer"}\n', ''),
    );
    expect(result.errors).toEqual([]);
    expect(result.object?.metadata).toEqual({ name: 'system:monitoring' });
  });

  it('default roleRef.apiGroup and each subject apiGroup as Kubernetes does', () => {
    const result = validate(
      roleBinding('- {kind: User, name: jane}\n- {kind: Group, name: devs, apiGroup: ""}\n- {kind: ServiceAccount, name: deployer, apiGroup: ""}'),
    );
    expect(result.errors).toEqual([]);
    const binding = result.object as RoleBinding;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
    expect(binding.subjects).toEqual([
      { kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'deployer' },
    ]);
  });

  it('accept a ServiceAccount subject without namespace in a RoleBinding (the binding namespace is meant)', () => {
    expect(issues(roleBinding('- {kind: ServiceAccount, name: deployer}'))).toEqual([]);
  });

  it('accept a ClusterRoleBinding to groups and a namespaced ServiceAccount', () => {
    const result = validate(clusterRoleBinding('- {kind: Group, name: "system:authenticated"}\n- {kind: ServiceAccount, name: ci, namespace: tools}'));
    expect(result.errors).toEqual([]);
    expect((result.object as ClusterRoleBinding).roleRef.kind).toBe('ClusterRole');
  });

  it('accept a ServiceAccount in Kubernetes shape, and pods that name one', () => {
    const sa = validate('apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: shop}\nsecrets: [{name: deployer-token}]\nimagePullSecrets: [{name: registry}]\nautomountServiceAccountToken: false\n');
    expect(sa.errors).toEqual([]);
    expect(sa.warnings).toEqual([]);
    expect((sa.object as ServiceAccount).imagePullSecrets).toEqual([{ name: 'registry' }]);
    const pod = validate('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  serviceAccountName: deployer\n  automountServiceAccountToken: true\n  imagePullSecrets: [{name: registry}]\n  containers: [{name: a, image: b}]\n');
    expect(pod.errors).toEqual([]);
    expect(pod.warnings).toEqual([]);
    expect((pod.object as Pod).spec.serviceAccountName).toBe('deployer');
  });
});

describe('invalid RBAC manifests are field-path errors', () => {
  it.each<[string, string, string[]]>([
    ['a rule without verbs', role('- {apiGroups: [""], resources: [pods]}'), ['rules[0].verbs: is required']],
    ['a rule with empty verbs', role('- {apiGroups: [""], resources: [pods], verbs: []}'), ['rules[0].verbs: must not be empty']],
    ['an empty verb', role('- {apiGroups: [""], resources: [pods], verbs: [get, ""]}'), ['rules[0].verbs[1]: must not be empty']],
    [
      'a resource rule without apiGroups',
      role('- {resources: [pods], verbs: [get]}'),
      ['rules[0].apiGroups: must list at least one API group ("" is the core group of pods and secrets, "*" is every group)'],
    ],
    [
      'a resource rule without resources',
      role('- {apiGroups: [""], verbs: [get]}'),
      ['rules[0].resources: must list at least one resource (e.g. "pods", "pods/log", or "*")'],
    ],
    [
      'non-resource URLs in a Role',
      role('- {nonResourceURLs: [/metrics], verbs: [get]}'),
      ['rules[0].nonResourceURLs: may not be set in a Role: non-resource URLs are not namespaced (grant them in a ClusterRole)'],
    ],
    [
      'non-resource URLs mixed with resources',
      clusterRole('rules:\n- {nonResourceURLs: [/metrics], apiGroups: [""], resources: [pods], verbs: [get]}'),
      ['rules[0].nonResourceURLs: may not be combined with apiGroups or resources in one rule; write two rules'],
    ],
    [
      'an empty aggregation selector',
      clusterRole('aggregationRule:\n  clusterRoleSelectors: [{}]'),
      ['aggregationRule.clusterRoleSelectors[0]: must not be empty: it would select every ClusterRole (set matchLabels)'],
    ],
    [
      'an aggregation selector with In and no values',
      clusterRole('aggregationRule:\n  clusterRoleSelectors: [{matchExpressions: [{key: a, operator: In}]}]'),
      ['aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: must not be empty when operator is In'],
    ],
    ['no aggregation selectors', clusterRole('aggregationRule: {clusterRoleSelectors: []}'), ['aggregationRule.clusterRoleSelectors: must not be empty']],
    ['a role name with a slash', clusterRole('rules: []', 'a/b'), ['metadata.name: must not be "." or "..", nor contain "/" or "%", e.g. "pod-reader" or "team:viewer"']],
    ['a binding without roleRef', roleBinding('- {kind: User, name: jane}').replace(/roleRef: .*\n/, ''), ['roleRef: is required']],
    ['a roleRef without name', roleBinding('- {kind: User, name: jane}', '{kind: Role}'), ['roleRef.name: is required']],
    ['a roleRef of another kind', roleBinding('- {kind: User, name: jane}', '{kind: Deployment, name: x}'), ['roleRef.kind: must be Role or ClusterRole']],
    [
      'a roleRef of another group',
      roleBinding('- {kind: User, name: jane}', '{apiGroup: apps, kind: Role, name: x}'),
      ['roleRef.apiGroup: must be one of rbac.authorization.k8s.io'],
    ],
    [
      'a ClusterRoleBinding to a Role',
      clusterRoleBinding('- {kind: User, name: jane}', '{kind: Role, name: pod-reader}'),
      ['roleRef.kind: must be ClusterRole: a ClusterRoleBinding grants a ClusterRole (grant a Role with a RoleBinding)'],
    ],
    [
      'a ClusterRoleBinding ServiceAccount subject without namespace',
      clusterRoleBinding('- {kind: User, name: jane}\n- {kind: ServiceAccount, name: ci}'),
      ['subjects[1].namespace: is required for a ServiceAccount subject of a ClusterRoleBinding (the namespace the ServiceAccount lives in)'],
    ],
    ['a subject of an unknown kind', roleBinding('- {kind: Robot, name: r2}'), ['subjects[0].kind: must be one of User, Group, ServiceAccount']],
    ['a subject without name', roleBinding('- {kind: User}'), ['subjects[0].name: is required']],
    [
      'a ServiceAccount subject in the RBAC group',
      roleBinding('- {kind: ServiceAccount, name: ci, apiGroup: rbac.authorization.k8s.io}'),
      ['subjects[0].apiGroup: must be empty for a ServiceAccount, not "rbac.authorization.k8s.io"'],
    ],
    [
      'a ServiceAccount subject with an invalid name',
      roleBinding('- {kind: ServiceAccount, name: "CI Bot"}'),
      ['subjects[0].name: must be a ServiceAccount name: a lowercase RFC 1123 subdomain, e.g. "deployer"'],
    ],
    ['a User subject in another group', roleBinding('- {kind: User, name: jane, apiGroup: apps}'), ['subjects[0].apiGroup: must be rbac.authorization.k8s.io for a User']],
    [
      'a ServiceAccount with an invalid name',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: "system:ci"}\n',
      ['metadata.name: must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".", starting and ending alphanumeric), e.g. "my-app"'],
    ],
    [
      'a pod with an invalid serviceAccountName',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  serviceAccountName: CI\n  containers: [{name: a, image: b}]\n',
      ['spec.serviceAccountName: must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".", starting and ending alphanumeric), e.g. "my-app"'],
    ],
  ])('%s', (_name, text, expected) => {
    const result = validate(text);
    expect(result.object).toBeUndefined();
    expect(result.errors.map(formatIssue)).toEqual(expected);
  });
});
