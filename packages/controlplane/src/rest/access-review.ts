// `kubectl auth can-i`: a SelfSubjectAccessReview (authorization.k8s.io/v1)
// answered by the same authorizer every request meets.
import { InvalidError, isRecord, resolveKind } from '@skiff/api';
import { VERBS, type Authorizer, type Query, type UserInfo } from '../auth/index.js';
import { groupOf } from './request-info.js';

export const AUTHORIZATION_GROUP_VERSION = 'authorization.k8s.io/v1';
export const ACCESS_REVIEW_PATH = `/apis/${AUTHORIZATION_GROUP_VERSION}/selfsubjectaccessreviews`;

export function reviewAccess(authorizer: Authorizer, user: UserInfo, body: unknown): object {
  const spec = isRecord(body) && isRecord(body['spec']) ? body['spec'] : undefined;
  const attributes = spec && isRecord(spec['resourceAttributes']) ? spec['resourceAttributes'] : undefined;
  if (!spec || !attributes) {
    throw new InvalidError('spec.resourceAttributes: required (non-resource URLs such as /healthz are not reviewed by this server)');
  }
  const text = (key: string): string => (typeof attributes[key] === 'string' ? (attributes[key] as string) : '');
  const verb = text('verb') as Query['verb'];
  if (verb !== '*' && !VERBS.includes(verb)) throw new InvalidError(`spec.resourceAttributes.verb: "${verb}" is not one of ${VERBS.join(', ')}, *`);
  const info = resolveKind(text('resource'));
  const namespaced = info ? info.namespaced : true;
  const query: Query = {
    verb,
    apiGroup: info ? groupOf(info) : text('group'),
    resource: info ? info.plural : text('resource'),
    ...(text('subresource') ? { subresource: text('subresource') } : {}),
    ...(namespaced && text('namespace') ? { namespace: text('namespace') } : {}),
    ...(text('name') ? { name: text('name') } : {}),
  };
  const decision = authorizer.canI(user, query);
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: AUTHORIZATION_GROUP_VERSION,
    metadata: {},
    spec,
    status: { allowed: decision.allowed, ...(decision.allowed ? {} : { denied: false }), reason: decision.reason },
  };
}
