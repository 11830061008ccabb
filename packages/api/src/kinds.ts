// The resource kinds Skiff knows, and every spelling a user may type for them.

export type KindName =
  | 'Namespace'
  | 'Node'
  | 'Pod'
  | 'Deployment'
  | 'ReplicaSet'
  | 'DaemonSet'
  | 'HorizontalPodAutoscaler'
  | 'Job'
  | 'CronJob'
  | 'Service'
  | 'EndpointSlice'
  | 'ConfigMap'
  | 'Secret'
  | 'ServiceAccount'
  | 'Event'
  | 'Lease'
  | 'Role'
  | 'ClusterRole'
  | 'RoleBinding'
  | 'ClusterRoleBinding';

export interface KindInfo {
  readonly kind: KindName;
  readonly apiVersion: string;
  /** Lower-case plural: the storage key segment and `ctl get` spelling. */
  readonly plural: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** Users may apply it from a manifest (others are written by Skiff itself). */
  readonly userWritable: boolean;
  /**
   * Not applied from manifests, but Skiff's own components outside the control
   * plane (node agents) write it through the Api's Apply: the server validates
   * it against its schema, and the authorizer decides who may (Event).
   */
  readonly componentWritable?: boolean;
}

/** The API group of Role, ClusterRole, RoleBinding and ClusterRoleBinding (and of a roleRef or a User/Group subject). */
export const RBAC_API_GROUP = 'rbac.authorization.k8s.io';
export const RBAC_API_VERSION = `${RBAC_API_GROUP}/v1` as const;

export const KINDS: readonly KindInfo[] = [
  { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', shortNames: ['ns'], namespaced: false, userWritable: true },
  { kind: 'Node', apiVersion: 'v1', plural: 'nodes', shortNames: ['no'], namespaced: false, userWritable: false },
  { kind: 'Pod', apiVersion: 'v1', plural: 'pods', shortNames: ['po'], namespaced: true, userWritable: true },
  { kind: 'Deployment', apiVersion: 'apps/v1', plural: 'deployments', shortNames: ['deploy'], namespaced: true, userWritable: true },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', plural: 'replicasets', shortNames: ['rs'], namespaced: true, userWritable: true },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', plural: 'daemonsets', shortNames: ['ds'], namespaced: true, userWritable: true },
  { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers', shortNames: ['hpa'], namespaced: true, userWritable: true },
  { kind: 'Job', apiVersion: 'batch/v1', plural: 'jobs', shortNames: [], namespaced: true, userWritable: true },
  { kind: 'CronJob', apiVersion: 'batch/v1', plural: 'cronjobs', shortNames: ['cj'], namespaced: true, userWritable: true },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', shortNames: ['svc'], namespaced: true, userWritable: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', shortNames: [], namespaced: true, userWritable: false },
  { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', shortNames: ['cm'], namespaced: true, userWritable: true },
  { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', shortNames: [], namespaced: true, userWritable: true },
  { kind: 'ServiceAccount', apiVersion: 'v1', plural: 'serviceaccounts', shortNames: ['sa'], namespaced: true, userWritable: true },
  { kind: 'Event', apiVersion: 'v1', plural: 'events', shortNames: ['ev'], namespaced: true, userWritable: false, componentWritable: true },
  { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', plural: 'leases', shortNames: [], namespaced: true, userWritable: false },
  { kind: 'Role', apiVersion: RBAC_API_VERSION, plural: 'roles', shortNames: [], namespaced: true, userWritable: true },
  { kind: 'ClusterRole', apiVersion: RBAC_API_VERSION, plural: 'clusterroles', shortNames: [], namespaced: false, userWritable: true },
  { kind: 'RoleBinding', apiVersion: RBAC_API_VERSION, plural: 'rolebindings', shortNames: [], namespaced: true, userWritable: true },
  { kind: 'ClusterRoleBinding', apiVersion: RBAC_API_VERSION, plural: 'clusterrolebindings', shortNames: [], namespaced: false, userWritable: true },
];

/**
 * kubectl's `all` category, in the order kubectl prints it (API groups in
 * discovery order, resources alphabetical within a group): pods, services,
 * daemonsets, deployments, replicasets, statefulsets,
 * horizontalpodautoscalers, cronjobs, jobs. Kinds Skiff does not have yet
 * are listed too and skipped until they exist in KINDS — add new ones here.
 */
const ALL_CATEGORY_ORDER: readonly string[] = [
  'Pod',
  'Service',
  'DaemonSet',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'HorizontalPodAutoscaler',
  'CronJob',
  'Job',
];

/** The kinds `ctl get all` lists. */
export function allCategoryKinds(): KindInfo[] {
  return ALL_CATEGORY_ORDER.flatMap((kind) => KINDS.filter((info) => info.kind === kind));
}

const bySpelling = new Map<string, KindInfo>();
for (const info of KINDS) {
  const group = info.apiVersion.includes('/') ? info.apiVersion.slice(0, info.apiVersion.indexOf('/')) : '';
  const singular = info.kind.toLowerCase();
  for (const name of [singular, info.plural, ...info.shortNames]) {
    bySpelling.set(name, info);
    if (group) bySpelling.set(`${name}.${group}`, info);
  }
}

/** Resolves "Pod", "pods", "po", "deployment.apps"…; undefined when unknown. */
export function resolveKind(spelling: string): KindInfo | undefined {
  return bySpelling.get(spelling.trim().toLowerCase());
}

export function kindInfo(kind: KindName): KindInfo {
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) throw new Error(`unregistered kind ${kind}`);
  return info;
}

/** kubectl's "deployment.apps/web" spelling of an object. */
export function qualifiedName(info: KindInfo, name: string): string {
  const group = info.apiVersion.includes('/') ? `.${info.apiVersion.slice(0, info.apiVersion.indexOf('/'))}` : '';
  return `${info.kind.toLowerCase()}${group}/${name}`;
}
