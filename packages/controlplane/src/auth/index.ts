// auth/: who a caller is (client certificates, ServiceAccount tokens) and
// what it may do (system:masters, the node authorizer, RBAC). Pure policy over
// injected data: the front doors call it, the composition root feeds it.
export {
  nodeNameOf,
  nodeUserName,
  parseServiceAccountUserName,
  serviceAccountUser,
  serviceAccountUserName,
  type UserInfo,
} from './identity.js';
export { VERBS, denialMessage, describeRequest, type Decision, type Query, type RequestAttributes, type Verb } from './request-attributes.js';
export { Authenticator, bearerTokenOf, normalizeSerialHex, type AuthenticatorDeps, type Credentials } from './authenticator.js';
export {
  ServiceAccountTokens,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type IssuedToken,
  type ServiceAccountRef,
} from './service-account-tokens.js';
export { RbacAuthorizer, ruleAllows, subjectMatches, type RbacSource } from './rbac.js';
export { NodeAuthorizer, type NodeAuthorizerOptions, type NodeGraph } from './node-authorizer.js';
export { RecentlyDeletedPods, type DeletedPod, type RecentlyDeletedPodsOptions } from './recently-deleted-pods.js';
export { podReferences, type PodReferences } from './pod-references.js';
export { Authorizer } from './authorizer.js';
export { bootstrapRbacObjects } from './default-roles.js';
