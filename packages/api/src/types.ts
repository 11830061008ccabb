// Resource shapes: the Kubernetes subset Skiff supports. The JSON Schemas in
// schema/ are the authority on what is valid; these types describe what a
// validated, defaulted object looks like.
import type { ManagedFieldsEntry } from './patch/server-side-apply.js';
import type { EnvFromSource, EnvVarSource, Volume, VolumeMount } from './volume-types.js';

import type { Lifecycle, Probe } from './probe-types.js';

export type Labels = Record<string, string>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  /** etcd's mod revision of the object, as a decimal string. */
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  /** Seconds the object's deletion was given (pods: the grace period its containers get between SIGTERM and SIGKILL). */
  deletionGracePeriodSeconds?: number;
  labels?: Labels;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  /**
   * Names of what must happen before the object is removed: a delete only
   * sets deletionTimestamp while any remain, and the object goes once the
   * last one is taken off (`orphan` and `foregroundDeletion` are the garbage
   * collector's).
   */
  finalizers?: string[];
  /** Server-side apply's record of which manager owns which fields (patch/server-side-apply.ts). */
  managedFields?: ManagedFieldsEntry[];
}

export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

export interface ResourceObject extends TypeMeta {
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
  [name: string]: string | undefined;
}

export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** A reference to an object of a known kind in the same namespace. */
export interface LocalObjectReference {
  name: string;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  hostPort?: number;
  protocol: 'TCP' | 'UDP';
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: VolumeMount[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
  securityContext?: SecurityContext;
}

export interface SeccompProfile {
  type: 'RuntimeDefault' | 'Unconfined';
}

/** A pod's securityContext: defaults for its containers, plus the groups every container joins. */
export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  seccompProfile?: SeccompProfile;
}

/** A container's securityContext; where it and the pod's both set a field, the container's wins. */
export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: SeccompProfile;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: Container[];
  /** Run in order before containers start, each until it exits 0 (retried per restartPolicy). */
  initContainers?: Container[];
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
  nodeName?: string;
  nodeSelector?: Labels;
  tolerations?: Toleration[];
  /** The ServiceAccount the pod runs as; Kubernetes reads an absent one as "default". */
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: LocalObjectReference[];
  securityContext?: PodSecurityContext;
  /** The pod's host name (default: its name); with subdomain, its DNS name under that headless Service. */
  hostname?: string;
  subdomain?: string;
  /** Where the pod's resolv.conf points: ClusterFirst (absent) the cluster DNS, Default the host's resolvers, None only dnsConfig. */
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  dnsConfig?: PodDnsConfig;
  /** false: no Kubernetes service environment variables (<NAME>_SERVICE_HOST, …) in the containers. */
  enableServiceLinks?: boolean;
  volumes?: Volume[];
}

export interface PodDnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  /** Whether the startup probe succeeded (true without one, once running). */
  started?: boolean;
  state: {
    waiting?: { reason: string; message?: string };
    running?: { startedAt: string };
    terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string };
  };
  lastState?: ContainerStatus['state'];
  containerID?: string;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase: PodPhase;
  conditions?: PodCondition[];
  hostIP?: string;
  podIP?: string;
  startTime?: string;
  reason?: string;
  message?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  /** Guaranteed, Burstable or BestEffort (see podQosClass); set by the node agent. */
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort';
}

export interface Pod extends ResourceObject {
  apiVersion: 'v1';
  kind: 'Pod';
  spec: PodSpec;
  status?: PodStatus;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PodTemplateSpec {
  metadata?: { labels?: Labels; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface ConfigMap extends ResourceObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

export interface Secret extends ResourceObject {
  apiVersion: 'v1';
  kind: 'Secret';
  type: string;
  /** Base64-encoded values. `stringData` is folded into it on write. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

export interface Namespace extends ResourceObject {
  apiVersion: 'v1';
  kind: 'Namespace';
  status?: { phase: 'Active' | 'Terminating' };
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node extends ResourceObject {
  apiVersion: 'v1';
  kind: 'Node';
  spec: {
    unschedulable?: boolean;
    /** This node's slice of the cluster's pod network, allocated at registration. */
    podCIDR?: string;
    taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  };
  status?: {
    capacity?: ResourceList & { pods?: string };
    allocatable?: ResourceList & { pods?: string };
    conditions?: NodeCondition[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: { runtime?: string; agentVersion?: string; operatingSystem?: string; architecture?: string };
    /** Where the control plane reaches the node's agent (logs). */
    daemonEndpoints?: { agentEndpoint?: { address: string } };
  };
}

/** What an Event is about: an ObjectReference, `fieldPath` naming the part (kubelet's `spec.containers{web}`). */
export interface InvolvedObject {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  fieldPath?: string;
}

export interface Event extends ResourceObject {
  apiVersion: 'v1';
  kind: 'Event';
  involvedObject: InvolvedObject;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component: string; host?: string };
}

export interface Lease extends ResourceObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  spec: {
    holderIdentity: string;
    leaseDurationSeconds: number;
    /** RFC 3339 with milliseconds: leases are judged at sub-second precision. */
    renewTime: string;
    acquireTime?: string;
  };
}

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface ServiceAccount extends ResourceObject {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
  secrets?: ObjectReference[];
  imagePullSecrets?: LocalObjectReference[];
  automountServiceAccountToken?: boolean;
}

