// What a pod gets from outside its image: configuration as environment
// (envFrom, env valueFrom) and volumes (emptyDir, configMap, secret,
// projected, downwardAPI, hostPath) with the containers' volumeMounts. The
// shapes are Kubernetes' own (core/v1), so manifests carry over unchanged.

/** `metadata.name`, `metadata.labels['app']`, `status.podIP`…: a field of the pod. */
export interface ObjectFieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

/** `limits.cpu`, `requests.memory`…: a container's resources, as a count of `divisor` (default 1), rounded up. */
export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

export interface EnvVarSource {
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
}

/** Every key of a ConfigMap or Secret as a variable, its name prefixed. */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

/** One key of a ConfigMap or Secret as the file `path` of a volume. */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface ConfigMapVolumeSource {
  name: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface SecretVolumeSource {
  secretName: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

export interface DownwardAPIVolumeSource {
  items?: DownwardAPIVolumeFile[];
  defaultMode?: number;
}

export interface ServiceAccountTokenProjection {
  audience?: string;
  expirationSeconds?: number;
  path: string;
}

export interface VolumeProjection {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardAPIVolumeFile[] };
  serviceAccountToken?: ServiceAccountTokenProjection;
}

export interface ProjectedVolumeSource {
  sources: VolumeProjection[];
  defaultMode?: number;
}

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

export interface HostPathVolumeSource {
  path: string;
  type?: HostPathType;
}

export interface EmptyDirVolumeSource {
  medium?: '' | 'Memory';
  sizeLimit?: string | number;
}

/** A volume of the pod: exactly one source. */
export interface Volume {
  name: string;
  emptyDir?: EmptyDirVolumeSource;
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  projected?: ProjectedVolumeSource;
  downwardAPI?: DownwardAPIVolumeSource;
  hostPath?: HostPathVolumeSource;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

/** The volume sources Skiff knows, in the order they are named in messages. */
export const VOLUME_SOURCES = ['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI', 'hostPath'] as const;
export type VolumeSourceName = (typeof VOLUME_SOURCES)[number];
