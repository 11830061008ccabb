// The one authorization decision every front door asks for: system:masters
// may do anything, a node is judged by the node authorizer alone, everyone
// else by RBAC.
import { AUTHENTICATED_GROUP, MASTERS_GROUP, PermissionDeniedError } from '@skiff/api';
import { parseServiceAccountUserName, serviceAccountUser, type UserInfo } from './identity.js';
import type { NodeAuthorizer } from './node-authorizer.js';
import type { RbacAuthorizer } from './rbac.js';
import { denialMessage, type Decision, type Query, type RequestAttributes } from './request-attributes.js';

export class Authorizer {
  constructor(
    private readonly nodes: NodeAuthorizer,
    private readonly rbac: RbacAuthorizer,
  ) {}

  authorize(user: UserInfo, attrs: Query): Decision {
    if (user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: `user ${JSON.stringify(user.name)} is in group "${MASTERS_GROUP}"` };
    return this.nodes.authorize(user, attrs) ?? this.rbac.authorize(user, attrs);
  }

  /** Throws PermissionDeniedError (`user "X" cannot delete deployments in namespace "shop"`) unless allowed. */
  require(user: UserInfo, attrs: RequestAttributes): void {
    this.requireQuery(user, attrs);
  }

  /**
   * `ctl auth can-i`: the decision for the caller, or for `asUser` when the
   * caller may impersonate it, as Kubernetes checks impersonation: `impersonate`
   * on `users` (on `serviceaccounts` in its namespace for a ServiceAccount user),
   * and on `groups` for each group asked for. Without groups, a ServiceAccount
   * user has its own; every impersonated user is in system:authenticated.
   */
  canI(user: UserInfo, query: Query, asUser?: UserInfo): Decision {
    if (!asUser) return this.authorize(user, query);
    const account = parseServiceAccountUserName(asUser.name);
    this.requireQuery(
      user,
      account
        ? { verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', namespace: account.namespace, name: account.name }
        : { verb: 'impersonate', apiGroup: '', resource: 'users', name: asUser.name },
    );
    for (const group of asUser.groups) {
      if (group !== AUTHENTICATED_GROUP) this.requireQuery(user, { verb: 'impersonate', apiGroup: '', resource: 'groups', name: group });
    }
    const groups = asUser.groups.length === 0 && account ? serviceAccountUser(account.namespace, account.name).groups : asUser.groups;
    return this.authorize({ name: asUser.name, groups: [...new Set([...groups, AUTHENTICATED_GROUP])] }, query);
  }

  private requireQuery(user: UserInfo, attrs: Query): void {
    if (!this.authorize(user, attrs).allowed) throw new PermissionDeniedError(denialMessage(user.name, attrs));
  }
}
