// Kubernetes' RBAC authorizer over Roles, ClusterRoles and their bindings:
// a ClusterRoleBinding grants a ClusterRole everywhere (every namespace and
// the cluster-scoped resources); a RoleBinding grants a Role of its own
// namespace, or a ClusterRole, within that namespace only. Nothing is denied
// explicitly: a request is allowed when some rule of some bound role allows it.
import {
  selectorFromLabelSelector,
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  type Role,
  type RoleBinding,
  type Subject,
} from '@skiff/api';
import { serviceAccountUserName, type UserInfo } from './identity.js';
import type { Decision, Query } from './request-attributes.js';
import { resourceText } from './request-attributes.js';

/** The RBAC objects as the control plane's informers hold them. */
export interface RbacSource {
  roles(namespace: string): readonly Role[];
  roleBindings(namespace: string): readonly RoleBinding[];
  clusterRoles(): readonly ClusterRole[];
  clusterRoleBindings(): readonly ClusterRoleBinding[];
}

const ALL = '*';

/** Kubernetes' RuleAllows for a resource request. */
export function ruleAllows(rule: PolicyRule, attrs: Query): boolean {
  return (
    (rule.verbs.includes(ALL) || rule.verbs.includes(attrs.verb)) &&
    (rule.apiGroups ?? []).some((group) => group === ALL || group === attrs.apiGroup) &&
    (rule.resources ?? []).some(
      (resource) => resource === ALL || resource === resourceText(attrs) || (attrs.subresource !== undefined && resource === `${ALL}/${attrs.subresource}`),
    ) &&
    // A rule limited to names never allows a request that names nothing (list, watch, create).
    ((rule.resourceNames ?? []).length === 0 || (attrs.name !== undefined && (rule.resourceNames ?? []).includes(attrs.name)))
  );
}

/** Whether a binding's subject is this user; a ServiceAccount without namespace is in the binding's. */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace?: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== undefined && user.name === serviceAccountUserName(namespace, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace?: string): string {
  const name = subject.kind === 'ServiceAccount' ? `${subject.namespace || bindingNamespace || ''}/${subject.name}` : subject.name;
  return `${subject.kind} ${JSON.stringify(name)}`;
}

export class RbacAuthorizer {
  constructor(private readonly source: RbacSource) {}

  authorize(user: UserInfo, attrs: Query): Decision {
    const clusterRoles = new Map(this.source.clusterRoles().map((role) => [role.metadata.name, role] as const));
    const problems: string[] = [];
    const clusterRules = (name: string, binding: string): readonly PolicyRule[] => {
      const role = clusterRoles.get(name);
      if (!role) problems.push(`${binding} refers to ClusterRole ${JSON.stringify(name)}, which does not exist`);
      return role ? aggregatedRules(role, clusterRoles) : [];
    };

    for (const binding of this.source.clusterRoleBindings()) {
      const subject = binding.subjects?.find((s) => subjectMatches(s, user));
      if (!subject) continue;
      const what = `ClusterRoleBinding ${JSON.stringify(binding.metadata.name)}`;
      if (clusterRules(binding.roleRef.name, what).some((rule) => ruleAllows(rule, attrs))) {
        return { allowed: true, reason: `RBAC: allowed by ${what} of ClusterRole ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject)}` };
      }
    }

    const namespace = attrs.namespace;
    if (namespace !== undefined) {
      const roles = new Map(this.source.roles(namespace).map((role) => [role.metadata.name, role] as const));
      for (const binding of this.source.roleBindings(namespace)) {
        const subject = binding.subjects?.find((s) => subjectMatches(s, user, namespace));
        if (!subject) continue;
        const what = `RoleBinding ${JSON.stringify(`${binding.metadata.name}/${namespace}`)}`;
        const { kind, name } = binding.roleRef;
        let rules: readonly PolicyRule[];
        if (kind === 'Role') {
          const role = roles.get(name);
          if (!role) problems.push(`${what} refers to Role ${JSON.stringify(name)}, which does not exist in namespace ${JSON.stringify(namespace)}`);
          rules = role?.rules ?? [];
        } else {
          rules = clusterRules(name, what);
        }
        if (rules.some((rule) => ruleAllows(rule, attrs))) {
          return { allowed: true, reason: `RBAC: allowed by ${what} of ${kind} ${JSON.stringify(name)} to ${describeSubject(subject, namespace)}` };
        }
      }
    }

    const none = namespace === undefined ? 'no ClusterRoleBinding grants it' : `no ClusterRoleBinding, nor RoleBinding in namespace ${JSON.stringify(namespace)}, grants it`;
    return { allowed: false, reason: `RBAC: ${[none, ...problems].join('; ')}` };
  }
}

/**
 * A ClusterRole's rules, with those of every ClusterRole its aggregationRule
 * selects (what Kubernetes' aggregation controller writes into `rules`, read
 * here at decision time instead).
 */
function aggregatedRules(role: ClusterRole, all: ReadonlyMap<string, ClusterRole>, seen = new Set<string>()): readonly PolicyRule[] {
  seen.add(role.metadata.name);
  const rules = [...(role.rules ?? [])];
  for (const labelSelector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    let selector;
    try {
      selector = selectorFromLabelSelector(labelSelector);
    } catch {
      continue; // validation refuses such selectors; one written before cannot grant anything
    }
    if (selector.isEmpty()) continue;
    for (const other of all.values()) {
      if (!seen.has(other.metadata.name) && selector.matches(other.metadata.labels)) rules.push(...aggregatedRules(other, all, seen));
    }
  }
  return rules;
}
