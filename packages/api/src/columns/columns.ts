// The columns `ctl get` shows for each kind, and the extra ones of -o wide.
import {
  kindInfo,
  type ClusterRoleBinding,
  qualifiedName,
  toTimestamp,
  type ConfigMap,
  type DaemonSet,
  type Deployment,
  type EndpointSlice,
  type Event,
  type HorizontalPodAutoscaler,
  type KindName,
  type Namespace,
  type Node,
  type Pod,
  type ReplicaSet,
  type ResourceObject,
  type RoleBinding,
  type Secret,
  type Service,
  type ServiceAccount,
  type Subject,
} from '../core.js';
import { formatAge } from '../age.js';
import { lastSeen } from './event-times.js';
import { hpaTargets } from './hpa-columns.js';
import { CRONJOB_COLUMNS, JOB_COLUMNS } from './job-columns.js';
import { labelSelectorText } from './label-selector-text.js';
import { serviceClusterIP, serviceExternalIP, servicePorts, sliceEndpoints, slicePorts } from './service-columns.js';

export interface Column {
  readonly header: string;
  readonly wide?: boolean;
  readonly value: (object: ResourceObject, now: Date) => string;
  /** What -o wide shows instead, when it differs (kubectl's untruncated EXTERNAL-IP). */
  readonly wideValue?: (object: ResourceObject, now: Date) => string;
}

const age: Column = { header: 'AGE', value: (o, now) => formatAge(o.metadata.creationTimestamp, now) };
const name: Column = { header: 'NAME', value: (o) => o.metadata.name };
const count = (record: Record<string, unknown> | undefined): number => Object.keys(record ?? {}).length;
const orNone = (text: string | undefined): string => (text ? text : '<none>');
/** kubectl's text of a label set (a Service selector): `k=v` pairs in sorted order. */
const labelsText = (labels: Record<string, string> | undefined): string =>
  orNone(
    Object.entries(labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(','),
  );

/** kubectl's text of a Deployment selector: its terms sorted by key, set values sorted (`app=web,tier in (a,b)`). */

/**
 * kubectl's STATUS of a pod: the first container's waiting or terminated
 * reason (ExitCode:N without one), else the pod's reason or phase; Completed
 * beside a running container is Running (or NotReady); a pod being deleted is
 * Terminating unless it already finished.
 */
export function podStatusText(pod: Pod): string {
  const phase = pod.status?.phase ?? 'Pending';
  let reason = pod.status?.reason || phase;
  let running = false;
  const init = initStatusText(pod);
  if (init !== undefined) reason = init;
  const initialized = init === undefined || pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
  for (const container of initialized ? [...(pod.status?.containerStatuses ?? [])].reverse() : []) {
    const { waiting, terminated } = container.state;
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated) reason = terminated.reason || `ExitCode:${terminated.exitCode}`;
    else if (container.ready && container.state.running) running = true;
  }
  if (reason === 'Completed' && running) {
    reason = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  const finished = phase === 'Succeeded' || phase === 'Failed';
  return pod.metadata.deletionTimestamp && !finished ? 'Terminating' : reason;
}

/**
 * kubectl's STATUS while init containers run: the first one that has not
 * exited 0 says Init:<reason> (Init:Error, Init:CrashLoopBackOff,
 * Init:ExitCode:N), or Init:<done>/<all> while it runs or waits to start.
 */
function initStatusText(pod: Pod): string | undefined {
  const statuses = pod.status?.initContainerStatuses ?? [];
  const total = pod.spec.initContainers?.length ?? statuses.length;
  for (const [i, container] of statuses.entries()) {
    const { waiting, terminated } = container.state;
    if (terminated?.exitCode === 0) continue;
    if (terminated) return `Init:${terminated.reason || `ExitCode:${terminated.exitCode}`}`;
    if (waiting?.reason && waiting.reason !== 'PodInitializing') return `Init:${waiting.reason}`;
    return `Init:${i}/${total}`;
  }
  return undefined;
}

/** kubectl's RESTARTS: the sum over containers, with the age of the latest exit ("5 (40s ago)"). */
function restartsText(pod: Pod, now: Date): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const restarts = statuses.reduce((sum, c) => sum + c.restartCount, 0);
  const exits = statuses.map((c) => Date.parse(c.lastState?.terminated?.finishedAt ?? '')).filter(Number.isFinite);
  if (restarts === 0 || exits.length === 0) return String(restarts);
  return `${restarts} (${formatAge(new Date(Math.max(...exits)).toISOString(), now)} ago)`;
}

/** kubectl's CREATED AT of roles: the creation time itself, in UTC RFC 3339. */
const createdAt: Column = {
  header: 'CREATED AT',
  value: (o) => {
    const time = Date.parse(o.metadata.creationTimestamp ?? '');
    return Number.isFinite(time) ? toTimestamp(new Date(time)) : '<unknown>';
  },
};

/** A binding's ROLE (`ClusterRole/view`) and, with -o wide, its subjects by kind, as kubectl prints them. */
function bindingColumns(): readonly Column[] {
  const subjects = (o: ResourceObject, kind: Subject['kind']): string =>
    ((o as RoleBinding | ClusterRoleBinding).subjects ?? [])
      .filter((s) => s.kind === kind)
      .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
      .join(', ');
  return [
    name,
    { header: 'ROLE', value: (o) => `${(o as RoleBinding).roleRef.kind}/${(o as RoleBinding).roleRef.name}` },
    age,
    { header: 'USERS', wide: true, value: (o) => subjects(o, 'User') },
    { header: 'GROUPS', wide: true, value: (o) => subjects(o, 'Group') },
    { header: 'SERVICEACCOUNTS', wide: true, value: (o) => subjects(o, 'ServiceAccount') },
  ];
}

const COLUMNS: Record<KindName, readonly Column[]> = {
  Pod: [
    name,
    {
      header: 'READY',
      value: (o) => {
        const pod = o as Pod;
        const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready).length;
        return `${ready}/${pod.spec.containers.length}`;
      },
    },
    { header: 'STATUS', value: (o) => podStatusText(o as Pod) },
    { header: 'RESTARTS', value: (o, now) => restartsText(o as Pod, now) },
    age,
    { header: 'IP', wide: true, value: (o) => orNone((o as Pod).status?.podIP) },
    { header: 'NODE', wide: true, value: (o) => orNone((o as Pod).spec.nodeName) },
    {
      header: 'PORTS',
      wide: true,
      value: (o) =>
        orNone(
          (o as Pod).spec.containers
            .flatMap((c) => c.ports ?? [])
            .map((p) => `${p.containerPort}/${p.protocol}`)
            .join(','),
        ),
    },
  ],
  Deployment: [
    name,
    { header: 'READY', value: (o) => `${(o as Deployment).status?.readyReplicas ?? 0}/${(o as Deployment).spec.replicas}` },
    { header: 'UP-TO-DATE', value: (o) => String((o as Deployment).status?.updatedReplicas ?? 0) },
    { header: 'AVAILABLE', value: (o) => String((o as Deployment).status?.availableReplicas ?? 0) },
    age,
    { header: 'CONTAINERS', wide: true, value: (o) => (o as Deployment).spec.template.spec.containers.map((c) => c.name).join(',') },
    { header: 'IMAGES', wide: true, value: (o) => (o as Deployment).spec.template.spec.containers.map((c) => c.image).join(',') },
    { header: 'SELECTOR', wide: true, value: (o) => labelSelectorText((o as Deployment).spec.selector) },
  ],
  ReplicaSet: [
    name,
    { header: 'DESIRED', value: (o) => String((o as ReplicaSet).spec.replicas) },
    { header: 'CURRENT', value: (o) => String((o as ReplicaSet).status?.replicas ?? 0) },
    { header: 'READY', value: (o) => String((o as ReplicaSet).status?.readyReplicas ?? 0) },
    age,
    { header: 'CONTAINERS', wide: true, value: (o) => (o as ReplicaSet).spec.template.spec.containers.map((c) => c.name).join(',') },
    { header: 'IMAGES', wide: true, value: (o) => (o as ReplicaSet).spec.template.spec.containers.map((c) => c.image).join(',') },
    { header: 'SELECTOR', wide: true, value: (o) => labelSelectorText((o as ReplicaSet).spec.selector) },
  ],
  // kubectl's daemonset columns.
  DaemonSet: [
    name,
    { header: 'DESIRED', value: (o) => String((o as DaemonSet).status?.desiredNumberScheduled ?? 0) },
    { header: 'CURRENT', value: (o) => String((o as DaemonSet).status?.currentNumberScheduled ?? 0) },
    { header: 'READY', value: (o) => String((o as DaemonSet).status?.numberReady ?? 0) },
    { header: 'UP-TO-DATE', value: (o) => String((o as DaemonSet).status?.updatedNumberScheduled ?? 0) },
    { header: 'AVAILABLE', value: (o) => String((o as DaemonSet).status?.numberAvailable ?? 0) },
    { header: 'NODE SELECTOR', value: (o) => labelsText((o as DaemonSet).spec.template.spec.nodeSelector) },
    age,
    { header: 'CONTAINERS', wide: true, value: (o) => (o as DaemonSet).spec.template.spec.containers.map((c) => c.name).join(',') },
    { header: 'IMAGES', wide: true, value: (o) => (o as DaemonSet).spec.template.spec.containers.map((c) => c.image).join(',') },
    { header: 'SELECTOR', wide: true, value: (o) => labelSelectorText((o as DaemonSet).spec.selector) },
  ],
  HorizontalPodAutoscaler: [
    name,
    { header: 'REFERENCE', value: (o) => `${(o as HorizontalPodAutoscaler).spec.scaleTargetRef.kind}/${(o as HorizontalPodAutoscaler).spec.scaleTargetRef.name}` },
    { header: 'TARGETS', value: (o) => hpaTargets(o as HorizontalPodAutoscaler) },
    { header: 'MINPODS', value: (o) => String((o as HorizontalPodAutoscaler).spec.minReplicas ?? '<unset>') },
    { header: 'MAXPODS', value: (o) => String((o as HorizontalPodAutoscaler).spec.maxReplicas) },
    { header: 'REPLICAS', value: (o) => String((o as HorizontalPodAutoscaler).status?.currentReplicas ?? 0) },
    age,
  ],
  Job: JOB_COLUMNS,
  CronJob: CRONJOB_COLUMNS,
  Service: [
    name,
    { header: 'TYPE', value: (o) => (o as Service).spec.type },
    { header: 'CLUSTER-IP', value: (o) => serviceClusterIP(o as Service) },
    { header: 'EXTERNAL-IP', value: (o) => serviceExternalIP(o as Service, false), wideValue: (o) => serviceExternalIP(o as Service, true) },
    { header: 'PORT(S)', value: (o) => servicePorts(o as Service) },
    age,
    { header: 'SELECTOR', wide: true, value: (o) => labelsText((o as Service).spec.selector) },
  ],
  EndpointSlice: [
    name,
    { header: 'ADDRESSTYPE', value: (o) => (o as EndpointSlice).addressType },
    { header: 'PORTS', value: (o) => slicePorts(o as EndpointSlice) },
    { header: 'ENDPOINTS', value: (o) => sliceEndpoints(o as EndpointSlice) },
    age,
  ],
  ConfigMap: [
    name,
    { header: 'DATA', value: (o) => String(count((o as ConfigMap).data) + count((o as ConfigMap).binaryData)) },
    age,
  ],
  Secret: [
    name,
    { header: 'TYPE', value: (o) => (o as Secret).type },
    { header: 'DATA', value: (o) => String(count((o as Secret).data)) },
    age,
  ],
  Namespace: [name, { header: 'STATUS', value: (o) => (o as Namespace).status?.phase ?? 'Active' }, age],
  Node: [
    name,
    {
      header: 'STATUS',
      value: (o) => {
        const node = o as Node;
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        const base = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
        return node.spec.unschedulable ? `${base},SchedulingDisabled` : base;
      },
    },
    age,
    { header: 'VERSION', value: (o) => orNone((o as Node).status?.nodeInfo?.agentVersion) },
    { header: 'CPU', wide: true, value: (o) => orNone((o as Node).status?.allocatable?.cpu) },
    { header: 'MEMORY', wide: true, value: (o) => orNone((o as Node).status?.allocatable?.memory) },
    { header: 'RUNTIME', wide: true, value: (o) => orNone((o as Node).status?.nodeInfo?.runtime) },
  ],
  Event: [
    { header: 'LAST SEEN', value: (o, now) => formatAge(lastSeen(o as Event), now) },
    { header: 'TYPE', value: (o) => (o as Event).type },
    { header: 'REASON', value: (o) => (o as Event).reason },
    { header: 'OBJECT', value: (o) => `${(o as Event).involvedObject.kind.toLowerCase()}/${(o as Event).involvedObject.name}` },
    { header: 'MESSAGE', value: (o) => (o as Event).message },
  ],
  Lease: [
    name,
    { header: 'HOLDER', value: (o) => orNone((o.spec as { holderIdentity?: string } | undefined)?.holderIdentity) },
    age,
  ],
  ServiceAccount: [name, { header: 'SECRETS', value: (o) => String((o as ServiceAccount).secrets?.length ?? 0) }, age],
  Role: [name, createdAt],
  ClusterRole: [name, createdAt],
  RoleBinding: bindingColumns(),
  ClusterRoleBinding: bindingColumns(),
};

/** The columns to print; `withKind` names rows kind/name, as kubectl does when several kinds are shown. */
export function columnsFor(kind: KindName, wide: boolean, withNamespace: boolean, withKind = false): Column[] {
  const kindName: Column = { header: 'NAME', value: (o) => qualifiedName(kindInfo(kind), o.metadata.name) };
  const chosen = COLUMNS[kind]
    .filter((column) => wide || !column.wide)
    .map((column) => (withKind && column.header === 'NAME' ? kindName : wide && column.wideValue ? { ...column, value: column.wideValue } : column));
  return withNamespace ? [{ header: 'NAMESPACE', value: (o) => o.metadata.namespace ?? '' }, ...chosen] : chosen;
}
