// The rules of RBAC objects that JSON Schema cannot state, as Kubernetes'
// rbac validation has them: a rule grants either resources or non-resource
// URLs; a subject's apiGroup and namespace depend on its kind and on the
// binding's scope. Defensive like every code-level rule (see manifest-rules.ts).
import type { PathSegment } from './field-path.js';
import { arrayAt, isRecord, recordAt, stringAt, type JsonRecord } from './json-guards.js';
import { RBAC_API_GROUP } from './kinds.js';
import { isDns1123Subdomain } from './names.js';

export type RuleReport = (segments: readonly PathSegment[], message: string) => void;

const nonEmpty = (rule: JsonRecord, key: string): boolean => arrayAt(rule, key).length > 0;

/** `rules` of a Role (`namespaced`) or a ClusterRole. */
export function checkPolicyRules(doc: JsonRecord, namespaced: boolean, report: RuleReport): void {
  arrayAt(doc, 'rules').forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const at = ['rules', i];
    if (nonEmpty(rule, 'nonResourceURLs')) {
      if (namespaced) {
        report([...at, 'nonResourceURLs'], 'may not be set in a Role: non-resource URLs are not namespaced (grant them in a ClusterRole)');
      } else if (nonEmpty(rule, 'resources') || nonEmpty(rule, 'apiGroups')) {
        report([...at, 'nonResourceURLs'], 'may not be combined with apiGroups or resources in one rule; write two rules');
      }
      return;
    }
    if (!nonEmpty(rule, 'apiGroups')) {
      report([...at, 'apiGroups'], 'must list at least one API group ("" is the core group of pods and secrets, "*" is every group)');
    }
    if (!nonEmpty(rule, 'resources')) report([...at, 'resources'], 'must list at least one resource (e.g. "pods", "pods/log", or "*")');
  });
}

/** A ClusterRole's aggregationRule: an empty selector would aggregate every ClusterRole, cluster-admin included. */
export function checkAggregationSelectors(doc: JsonRecord, report: RuleReport): void {
  arrayAt(recordAt(doc, 'aggregationRule'), 'clusterRoleSelectors').forEach((selector, i) => {
    if (!isRecord(selector)) return;
    if (Object.keys(recordAt(selector, 'matchLabels') ?? {}).length === 0 && arrayAt(selector, 'matchExpressions').length === 0) {
      report(['aggregationRule', 'clusterRoleSelectors', i], 'must not be empty: it would select every ClusterRole (set matchLabels)');
    }
  });
}

/** `subjects` of a RoleBinding, or of a ClusterRoleBinding (`clusterWide`), after defaulting. */
export function checkSubjects(doc: JsonRecord, clusterWide: boolean, report: RuleReport): void {
  arrayAt(doc, 'subjects').forEach((subject, i) => {
    if (!isRecord(subject)) return;
    const at = ['subjects', i];
    const apiGroup = stringAt(subject, 'apiGroup') ?? '';
    switch (stringAt(subject, 'kind')) {
      case 'ServiceAccount': {
        const name = stringAt(subject, 'name');
        if (name !== undefined && name !== '' && !isDns1123Subdomain(name)) {
          report([...at, 'name'], 'must be a ServiceAccount name: a lowercase RFC 1123 subdomain, e.g. "deployer"');
        }
        if (apiGroup !== '') report([...at, 'apiGroup'], `must be empty for a ServiceAccount, not ${JSON.stringify(apiGroup)}`);
        if (clusterWide && stringAt(subject, 'namespace') === undefined) {
          report([...at, 'namespace'], 'is required for a ServiceAccount subject of a ClusterRoleBinding (the namespace the ServiceAccount lives in)');
        }
        break;
      }
      case 'User':
      case 'Group':
        if (apiGroup !== RBAC_API_GROUP) report([...at, 'apiGroup'], `must be ${RBAC_API_GROUP} for a ${String(subject['kind'])}`);
        break;
      default:
        break; // the schema reports an unknown kind
    }
  });
}

/** Kubernetes' defaults: a User or Group subject is in the RBAC group, a ServiceAccount in none. */
export function defaultSubjects(doc: JsonRecord): void {
  for (const subject of arrayAt(doc, 'subjects')) {
    if (!isRecord(subject) || (subject['apiGroup'] !== undefined && subject['apiGroup'] !== '')) continue;
    const kind = subject['kind'];
    if (kind === 'User' || kind === 'Group') subject['apiGroup'] = RBAC_API_GROUP;
    else if (kind === 'ServiceAccount') delete subject['apiGroup'];
  }
}
