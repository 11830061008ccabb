// What the agent's control loop (reconciler.ts) is given: the runtime and
// the node's other parts it drives, each optional where a driver (the process
// runtime) or a deployment goes without it.
import type { BackoffPolicy, Container, Pod, PodStatus } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { ResolvedEnv } from './env/container-env.js';
import type { PodEventSink } from './events/pod-events.js';
import type { ImageStore } from './images/image-store.js';
import type { CredentialsLookup } from './images/registry-auth.js';
import type { ContainerHooks } from './lifecycle/container-lifecycle.js';
import type { PodNetwork } from './network/pod-network.js';
import type { PreStopRunner } from './pod-termination.js';
import type { ProbeManager } from './probes/probe-manager.js';
import type { PodEtcFiles } from './runtime/pod-etc-files.js';
import type { BindMount, Runtime } from './runtime/runtime.js';
import type { PodVolumeState } from './volumes/pod-volumes.js';

export interface DesiredPods {
  readonly isSynced: boolean;
  desired(): Map<string, Pod>;
}

export interface ReconcilerOptions {
  readonly runtime: Runtime;
  /** Absent for the process runtime, which runs host commands. */
  readonly images?: ImageStore;
  /** Registry credentials from the pod's imagePullSecrets (none when absent). */
  readonly pullCredentials?: (pod: Pod) => Promise<CredentialsLookup | undefined>;
  /** Absent for the process runtime: pods share the host network. */
  readonly network?: PodNetwork;
  /** Each pod's /etc/hosts, /etc/hostname and /etc/resolv.conf (runc only: the process runtime uses the host's). */
  readonly podFiles?: PodEtcFiles;
  /** Kubernetes' service variables for a container of the pod about to start (throws while the Services are not known yet). */
  readonly serviceEnv?: (pod: Pod) => Record<string, string>;
  readonly pods: DesiredPods;
  readonly hostIP: string;
  /** `removeTerminated`: the pod is being deleted and its containers have stopped; the control plane removes it after this status. */
  readonly reportStatus: (pod: Pod, status: PodStatus, options?: { readonly removeTerminated?: boolean }) => Promise<void>;
  readonly log: Logger;
  /** Wait before restarting an exited container or retrying a failed start, doubling per failure. */
  readonly restartBackoff: BackoffPolicy;
  /** How often to look even without a trigger (container exits are not pushed). */
  readonly resyncMs: number;
  /** Milliseconds since the epoch (default Date.now): tests step it to cross back-off deadlines. */
  readonly now?: () => number;
  /** Where kubelet's pod events go (default: nowhere). */
  readonly events?: PodEventSink;
  /** Each pod's cgroup under its QoS class (runc only): made before its containers start, removed after the last is gone. */
  readonly podCgroups?: {
    ensure(pod: Pod): Promise<void>;
    remove(uid: string): Promise<void>;
    existing(): Promise<string[]>;
    /** The QoS class cgroups, sized for the whole set of pods. */
    updateClasses(pods: Iterable<Pod>): Promise<void>;
  };
  /** Pods evicted under resource pressure (eviction/): their containers stay stopped and the pod is reported Failed. */
  readonly evictions?: { evictionOf(pod: Pod): { readonly message: string } | undefined };
  /** Startup, liveness and readiness probes (probes/): what they say goes into the status. */
  readonly probes?: Pick<ProbeManager, 'observe' | 'retain' | 'stop'>;
  /** Lifecycle hooks (lifecycle/): postStart after each start; stopContainer (preStop, TERM, KILL) for stopping a container of a pod whose spec is known. */
  readonly hooks?: ContainerHooks;
  /** A container's env as kubelet makes it (env/container-env.ts); without it, valueFrom and envFrom are refused. */
  readonly containerEnv?: (pod: Pod, container: Container, podIP: string | undefined) => Promise<ResolvedEnv>;
  /** The pods' volumes (volumes/pod-volumes.ts): set up and refreshed every pass, torn down with the pod. */
  readonly volumes?: {
    setUp(pod: Pod, podIP: string | undefined): Promise<PodVolumeState>;
    mountsFor(pod: Pod, container: Container, state: PodVolumeState): Promise<BindMount[]>;
    tearDown(uid: string): Promise<void>;
    existing(): Promise<string[]>;
  };
  /** Runs containers' lifecycle.preStop handlers when a pod is stopped (absent: none are run). */
  readonly preStop?: PreStopRunner;
}
