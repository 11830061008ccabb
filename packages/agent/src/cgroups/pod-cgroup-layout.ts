// Where a pod's cgroup lives and what it is sized to, as kubelet's cgroupfs
// driver lays them out (pkg/kubelet/cm): every pod under `kubepods`, Guaranteed
// pods directly, the others under a cgroup of their QoS class; the pod's
// containers under the pod. Paths are relative to the agent's own cgroup
// parent (/skiff/<instance>), so one agent's tree never touches another's.
// Pure functions: the manager (pod-cgroup-manager.ts) writes them to cgroupfs.
import { podQosClass, podResourceTotals, type Pod, type PodQosClass } from '@skiff/api/core';

export const KUBEPODS = 'kubepods';
export const QOS_CGROUP: Readonly<Record<PodQosClass, string>> = {
  Guaranteed: KUBEPODS,
  Burstable: `${KUBEPODS}/burstable`,
  BestEffort: `${KUBEPODS}/besteffort`,
};

/** The kernel's minimum cpu.shares, and what BestEffort pods (and their class) get. */
export const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses a CFS quota under 1 ms. */
const MIN_QUOTA_US = 1_000;

/** `kubepods/burstable/pod<uid>`: the pod's cgroup, relative to the agent's cgroup parent. */
export function podCgroupName(qos: PodQosClass, uid: string): string {
  return `${QOS_CGROUP[qos]}/pod${uid}`;
}

export function podCgroupNameOf(pod: Pick<Pod, 'spec' | 'metadata'>): string {
  return podCgroupName(podQosClass(pod), pod.metadata.uid ?? '');
}

/** kubelet's MilliCPUToShares: requests × 1024 / 1000, at least 2. */
export function milliCpuToShares(millis: number): number {
  if (millis <= 0) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((millis * SHARES_PER_CPU) / 1000));
}

/** kubelet's MilliCPUToQuota over a 100 ms period, at least 1 ms. */
export function milliCpuToQuota(millis: number): number {
  return Math.max(MIN_QUOTA_US, Math.floor((millis * CPU_PERIOD_US) / 1000));
}

export interface PodCgroupConfig {
  readonly name: string;
  readonly qos: PodQosClass;
  readonly cpuShares: number;
  /** Present when every container limits cpu: the sum of their limits as a CFS quota. */
  readonly cpuQuotaUs?: number;
  /** Present when every container limits memory: the sum of their limits. */
  readonly memoryLimitBytes?: number;
  /** Its cpu request, for its QoS class's shares. */
  readonly cpuRequestMillis: number;
}

/** kubelet's ResourceConfigForPod: BestEffort gets 2 shares and no limits; the others their summed requests and limits. */
export function podCgroupConfig(pod: Pick<Pod, 'spec' | 'metadata'>): PodCgroupConfig {
  const qos = podQosClass(pod);
  const { requests, limits } = podResourceTotals(pod);
  const name = podCgroupName(qos, pod.metadata.uid ?? '');
  if (qos === 'BestEffort') return { name, qos, cpuShares: MIN_SHARES, cpuRequestMillis: 0 };
  return {
    name,
    qos,
    cpuShares: milliCpuToShares(requests.cpuMillis),
    ...(limits.cpuMillis !== undefined ? { cpuQuotaUs: milliCpuToQuota(limits.cpuMillis) } : {}),
    ...(limits.memoryBytes !== undefined ? { memoryLimitBytes: limits.memoryBytes } : {}),
    cpuRequestMillis: requests.cpuMillis,
  };
}

/** The burstable class's shares: the sum of its pods' cpu requests (kubelet's QoS container manager). */
export function burstableShares(pods: Iterable<PodCgroupConfig>): number {
  let millis = 0;
  for (const pod of pods) if (pod.qos === 'Burstable') millis += pod.cpuRequestMillis;
  return milliCpuToShares(millis);
}
