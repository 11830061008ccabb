// The RBAC objects a cluster starts with: Kubernetes' user-facing ClusterRoles
// over Skiff's resources, and the binding that makes system:masters
// cluster-admin. `view` reads everything in a namespace but Secrets (reading
// them would expose every credential there); `edit` also writes workloads,
// config and Secrets, but not roles or bindings (that would let it grant
// itself more); `admin` is edit plus roles and bindings within a namespace.
import {
  MASTERS_GROUP,
  RBAC_API_GROUP,
  RBAC_API_VERSION,
  type ClusterRole,
  type ClusterRoleBinding,
  type ObjectMeta,
  type PolicyRule,
} from '@skiff/api';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const CORE = '';
const APPS = 'apps';

const rule = (verbs: readonly string[], apiGroup: string, resources: readonly string[]): PolicyRule => ({
  apiGroups: [apiGroup],
  resources: [...resources],
  verbs: [...verbs],
});

const DISCOVERY = 'discovery.k8s.io';
const AUTOSCALING = 'autoscaling';
const METRICS = 'metrics.k8s.io';

/** kubectl top's reads: what metrics-server's system:aggregated-metrics-reader grants (aggregated into view, edit and admin). */
const METRICS_READER: readonly PolicyRule[] = [rule(READ, METRICS, ['pods', 'nodes'])];
const BATCH = 'batch';

// EndpointSlices are the controller's output: readable by every role, written by no user role.
const VIEW: readonly PolicyRule[] = [
  rule(READ, CORE, ['pods', 'pods/log', 'pods/status', 'services', 'services/status', 'configmaps', 'serviceaccounts', 'events', 'namespaces']),
  rule(READ, APPS, ['deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'daemonsets', 'daemonsets/status']),
  rule(READ, BATCH, ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status']),
  rule(READ, DISCOVERY, ['endpointslices']),
  rule(READ, AUTOSCALING, ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  ...METRICS_READER,
];

const EDIT: readonly PolicyRule[] = [
  ...VIEW,
  rule(READ, CORE, ['pods/exec', 'secrets']),
  rule(WRITE, CORE, ['pods', 'pods/exec', 'services', 'configmaps', 'secrets', 'serviceaccounts', 'events']),
  rule(['create'], CORE, ['serviceaccounts/token']),
  rule(['impersonate'], CORE, ['serviceaccounts']),
  rule(WRITE, APPS, ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale', 'daemonsets']),
  rule(WRITE, AUTOSCALING, ['horizontalpodautoscalers']),
  rule(WRITE, BATCH, ['jobs', 'cronjobs']),
];

const ADMIN: readonly PolicyRule[] = [...EDIT, rule([...READ, ...WRITE], RBAC_API_GROUP, ['roles', 'rolebindings'])];

const CLUSTER_ADMIN: readonly PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];

/** Marks the objects as Kubernetes marks its own bootstrap policy. */
function bootstrapMeta(name: string): ObjectMeta {
  return {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

function clusterRole(name: string, rules: readonly PolicyRule[]): ClusterRole {
  return { apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: bootstrapMeta(name), rules: structuredClone([...rules]) };
}

/**
 * ClusterRoles cluster-admin, admin, edit, view and system:aggregated-metrics-reader,
 * and ClusterRoleBinding cluster-admin → group system:masters. Skiff does not
 * aggregate ClusterRoles: the metrics reader's rule is written into view (and
 * so edit and admin) as well; the role of its own is there to bind alone, and
 * carries Kubernetes' aggregate-to labels for tools that look for them.
 */
export function bootstrapRbacObjects(): readonly (ClusterRole | ClusterRoleBinding)[] {
  const binding: ClusterRoleBinding = {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: bootstrapMeta('cluster-admin'),
    roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: MASTERS_GROUP, apiGroup: RBAC_API_GROUP }],
  };
  const metricsReader = clusterRole('system:aggregated-metrics-reader', METRICS_READER);
  metricsReader.metadata.labels = {
    ...metricsReader.metadata.labels,
    'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    'rbac.authorization.k8s.io/aggregate-to-view': 'true',
  };
  return [clusterRole('cluster-admin', CLUSTER_ADMIN), clusterRole('admin', ADMIN), clusterRole('edit', EDIT), clusterRole('view', VIEW), metricsReader, binding];
}
