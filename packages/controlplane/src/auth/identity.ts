// Who is calling: a user name and groups, as Kubernetes' user.Info has them,
// and the exact names and groups Skiff's identities carry.

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
}

import { NODE_USER_PREFIX, NODES_GROUP, SERVICE_ACCOUNT_USER_PREFIX, SERVICE_ACCOUNTS_GROUP, AUTHENTICATED_GROUP } from '@skiff/api';

export function nodeUserName(nodeName: string): string {
  return `${NODE_USER_PREFIX}${nodeName}`;
}

/** The node a user is, when it is one: named `system:node:<name>` and in group `system:nodes` (Kubernetes' NodeIdentity). */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

/** The user a ServiceAccount authenticates as. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: serviceAccountUserName(namespace, name),
    groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`, AUTHENTICATED_GROUP],
  };
}

/** `{ namespace, name }` of a `system:serviceaccount:<ns>:<name>` user name, else undefined. */
export function parseServiceAccountUserName(userName: string): { namespace: string; name: string } | undefined {
  if (!userName.startsWith(SERVICE_ACCOUNT_USER_PREFIX)) return undefined;
  const [namespace, name, ...rest] = userName.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(':');
  if (!namespace || !name || rest.length > 0) return undefined;
  return { namespace, name };
}
