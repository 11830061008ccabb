// Who may do what, wired from the shared informers: the authenticator (client
// certificates, ServiceAccount tokens, node certificates checked against
// their Node's record), node restriction, RBAC, and the audit log, behind one
// RequestGuard that every front-door handler uses.
import type { ClusterRole, ClusterRoleBinding, Node, Pod, Role, RoleBinding, Secret, ServiceAccount } from '@skiff/api';
import { NODE_LEASE_NAMESPACE } from '@skiff/api';
import { Authenticator, Authorizer, NodeAuthorizer, RbacAuthorizer, RecentlyDeletedPods, ServiceAccountTokens, type NodeGraph, type RbacSource } from './auth/index.js';
import type { InformerFactory } from './cache/index.js';
import { AuditLog } from './audit/audit-log.js';
import { RequestGuard } from './grpc/request-guard.js';
import type { NodeCredentials } from './nodes/node-credentials.js';

const BY_NAMESPACE = 'namespace';
const BY_NODE = 'nodeName';

/** RBAC objects as the informers hold them (frozen copies the authorizer only reads). */
export function rbacSourceFrom(informers: InformerFactory): RbacSource {
  const roles = informers.informerFor<Role>('Role');
  const roleBindings = informers.informerFor<RoleBinding>('RoleBinding');
  const clusterRoles = informers.informerFor<ClusterRole>('ClusterRole');
  const clusterRoleBindings = informers.informerFor<ClusterRoleBinding>('ClusterRoleBinding');
  for (const informer of [roles, roleBindings]) {
    if (!informer.hasIndex(BY_NAMESPACE)) informer.addIndex(BY_NAMESPACE, (object) => [object.metadata.namespace ?? '']);
  }
  return {
    roles: (namespace) => roles.byIndex(BY_NAMESPACE, namespace) as readonly Role[],
    roleBindings: (namespace) => roleBindings.byIndex(BY_NAMESPACE, namespace) as readonly RoleBinding[],
    clusterRoles: () => clusterRoles.list() as readonly ClusterRole[],
    clusterRoleBindings: () => clusterRoleBindings.list() as readonly ClusterRoleBinding[],
  };
}

/** The pods bound to each node (and those deleted lately), for node restriction (frozen: the authorizer reads, never writes). */
export function nodeGraphFrom(informers: InformerFactory): NodeGraph {
  const pods = informers.informerFor<Pod>('Pod');
  if (!pods.hasIndex(BY_NODE)) pods.addIndex(BY_NODE, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
  const deleted = new RecentlyDeletedPods();
  pods.addHandlers({ onDelete: (pod) => deleted.remember(pod as unknown as Pod) });
  return {
    podsOnNode: (nodeName) => pods.byIndex(BY_NODE, nodeName) as unknown as readonly Pod[],
    pod: (namespace, name) => pods.get(`${namespace}/${name}`) as unknown as Pod | undefined,
    deletedPod: (uid) => deleted.find(uid),
  };
}

export interface SecurityOptions {
  readonly informers: InformerFactory;
  readonly credentials: NodeCredentials;
  readonly serviceAccountKeyPem: string;
  readonly audit: AuditLog;
}

/** The guard of the gRPC door, and its authenticator and authorizer for the REST door (the same decisions on both). */
export function createRequestGuard(options: SecurityOptions): {
  guard: RequestGuard;
  serviceAccounts: ServiceAccountTokens;
  authenticator: Authenticator;
  authorizer: Authorizer;
} {
  const { informers } = options;
  const accounts = informers.informerFor<ServiceAccount>('ServiceAccount');
  const serviceAccounts = new ServiceAccountTokens(options.serviceAccountKeyPem);
  const authenticator = new Authenticator({
    checkNodeCertificate: (nodeName, serialHex) => options.credentials.check(nodeName, serialHex),
    serviceAccounts,
    serviceAccountExists: (namespace, name, uid) => accounts.get(`${namespace}/${name}`)?.metadata.uid === uid,
  });
  const authorizer = new Authorizer(
    new NodeAuthorizer(nodeGraphFrom(informers), { leaseNamespace: NODE_LEASE_NAMESPACE }),
    new RbacAuthorizer(rbacSourceFrom(informers)),
  );
  return { guard: new RequestGuard({ authenticator, authorizer, audit: options.audit }), serviceAccounts, authenticator, authorizer };
}

/** The informers node credentials read (Nodes, and the join-token Secrets). */
export function credentialInformers(informers: InformerFactory) {
  return { nodes: informers.informerFor<Node>('Node'), secrets: informers.informerFor<Secret>('Secret') };
}
