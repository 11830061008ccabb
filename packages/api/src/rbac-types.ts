// The rbac.authorization.k8s.io/v1 kinds: rules, roles and the bindings that grant them.
import type { LabelSelector, ResourceObject } from './types.js';

/**
 * One grant of a Role or ClusterRole: `verbs` on `resources` of `apiGroups`
 * ("" is the core group), limited to `resourceNames` when given; or, in a
 * ClusterRole only, `verbs` on non-resource URLs instead. A resource is a
 * plural ("pods"), a subresource ("pods/log"), one subresource of every
 * resource ("*" then "/scale"), or "*" for everything.
 */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Role extends ResourceObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role';
  rules?: PolicyRule[];
}

/** A ClusterRole with an aggregationRule also grants the rules of every ClusterRole its selectors select. */
export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

export interface ClusterRole extends ResourceObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  rules?: PolicyRule[];
  aggregationRule?: AggregationRule;
}

export interface RoleRef {
  /** Always "rbac.authorization.k8s.io" (defaulted). */
  apiGroup: string;
  kind: 'Role' | 'ClusterRole';
  name: string;
}

/**
 * Who a binding grants its role to. A ServiceAccount subject means the user
 * `system:serviceaccount:<namespace>:<name>`; in a RoleBinding its namespace
 * defaults to the binding's own.
 */
export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
  /** "rbac.authorization.k8s.io" for User and Group, absent for ServiceAccount (defaulted). */
  apiGroup?: string;
}

export interface RoleBinding extends ResourceObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding';
  roleRef: RoleRef;
  subjects?: Subject[];
}

export interface ClusterRoleBinding extends ResourceObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRoleBinding';
  roleRef: RoleRef & { kind: 'ClusterRole' };
  subjects?: Subject[];
}
